using System.Security.Cryptography;
using System.Text;
using Carapace.Enclave.FileSystem;
using Carapace.Enclave.FileSystem.Memory;
using Carapace.Enclave.FileSystem.Overlay;
using Carapace.Enclave.Tests.FileSystem.Image;
using Carapace.Enclave.Wasi;

namespace Carapace.Enclave.Tests.FileSystem.Overlay;

public sealed class OverlayFileSystemTests : IDisposable
{
    private readonly TempTree _tree = new();

    public void Dispose() => _tree.Dispose();

    [Fact]
    public void Changes_over_a_shielded_image_live_in_memory_and_the_image_file_is_never_written()
    {
        File.WriteAllText(Path.Combine(_tree.Source, "page.txt"), "shielded page");
        Directory.CreateDirectory(Path.Combine(_tree.Source, "dir"));
        File.WriteAllText(Path.Combine(_tree.Source, "dir", "inner.txt"), "inner");
        var packed = PackedImage.Pack(_tree.Source, _tree.Output("site.img"));
        var before = SHA256.HashData(File.ReadAllBytes(packed.Path));
        using var image = packed.Mount();

        using (var overlay = new OverlayFileSystem(image, new MemoryFileSystem(1 << 20)))
        {
            Assert.Equal(Errno.Success, Write(overlay, "page.txt", 0, "SHIELDED"));
            Assert.Equal(Errno.Success, overlay.Rename("dir", "moved"));
            Assert.Equal(Errno.Success, overlay.Link("moved/inner.txt", "hard"));
            Assert.Equal(Errno.Success, overlay.Symlink("page.txt", "soft"));
            Assert.Equal(Errno.Success, Write(overlay, "new.txt", 0, "new", OpenFlags.Create | OpenFlags.Write));

            Assert.Equal("SHIELDED page", Read(overlay, "page.txt"));
            Assert.Equal("inner", Read(overlay, "hard"));
            Assert.Equal(Errno.NoEnt, overlay.Stat("dir", out _));
            Assert.Equal(Errno.Success, overlay.Stat("hard", out var hard));
            Assert.Equal(2UL, hard.LinkCount);
            Assert.Equal(["hard", "moved", "new.txt", "page.txt", "soft"], Names(overlay, ""));
        }

        // The image itself: unchanged, byte for byte, and as the guest of the next invocation sees it.
        Assert.Equal(before, SHA256.HashData(File.ReadAllBytes(packed.Path)));
        Assert.Equal("shielded page", Read(image, "page.txt"));
        Assert.Equal(["dir", "page.txt"], Names(image, ""));
    }

    [Fact]
    public void Removing_an_image_file_hides_it_and_a_new_file_of_that_name_starts_empty()
    {
        using var overlay = Over(("a/x", "lower"), ("a/y", "y"));

        Assert.Equal(Errno.Success, overlay.Unlink("a/x"));
        Assert.Equal(Errno.NoEnt, overlay.Stat("a/x", out _));
        Assert.Equal(["y"], Names(overlay, "a"));
        Assert.Equal(Errno.NotEmpty, overlay.RemoveDirectory("a"));
        Assert.Equal(Errno.Success, Write(overlay, "a/x", 0, "", OpenFlags.Create | OpenFlags.Write));
        Assert.Equal("", Read(overlay, "a/x"));
        Assert.Equal(Errno.Success, overlay.Unlink("a/x"));
        Assert.Equal(Errno.Success, overlay.Unlink("a/y"));
        Assert.Equal(Errno.Success, overlay.RemoveDirectory("a"));
        Assert.Empty(Names(overlay, ""));
    }

    [Fact]
    public void Truncating_an_image_file_copies_none_of_its_bytes()
    {
        var quota = new StorageQuota(100);
        using var overlay = new OverlayFileSystem(new Wasi.Support.ReadOnlyTestFileSystem([("big", new string('b', 90))]), new MemoryFileSystem(quota));

        Assert.Equal(Errno.Success, overlay.Open("big", OpenFlags.Truncate | OpenFlags.Write, out var handle));
        handle!.Dispose();

        Assert.Equal(0, quota.UsedBytes);
        Assert.Equal(Errno.Success, overlay.Stat("big", out var info));
        Assert.Equal(0, info.Size);
    }

    [Fact]
    public void Copies_and_writes_count_against_the_quota_shared_with_tmp()
    {
        var quota = new StorageQuota(100);
        using var tmp = new MemoryFileSystem(quota);
        using var overlay = new OverlayFileSystem(new Wasi.Support.ReadOnlyTestFileSystem([("f", new string('f', 60))]), new MemoryFileSystem(quota));
        Assert.Equal(Errno.Success, Write(tmp, "t", 0, new string('t', 30), OpenFlags.Create | OpenFlags.Write));

        // The copy-up fits (30 + 60), the 20 bytes written past it do not (110 > 100).
        Assert.Equal(Errno.NoSpc, Write(overlay, "f", 60, new string('g', 20)));
        Assert.Equal(Errno.Success, Write(overlay, "f", 0, "F"));
        Assert.Equal(90, quota.UsedBytes);
        Assert.Equal(Errno.NoSpc, Write(tmp, "t", 30, new string('u', 11)));
        Assert.Equal(Errno.Success, tmp.Unlink("t"));
        Assert.Equal(60, quota.UsedBytes);
    }

    [Fact]
    public void Disposing_the_overlay_zeroes_what_was_written_and_releases_the_quota()
    {
        var quota = new StorageQuota(1 << 20);
        var upper = new MemoryFileSystem(quota);
        var retired = new List<byte[]>();
        upper.BufferRetired = retired.Add;
        var overlay = new OverlayFileSystem(new Wasi.Support.ReadOnlyTestFileSystem([("f", "secret lower")]), upper);
        Assert.Equal(Errno.Success, Write(overlay, "f", 0, "SECRET"));
        Assert.Equal(Errno.Success, Write(overlay, "n", 0, "new secret", OpenFlags.Create | OpenFlags.Write));
        var buffers = upper.FileBuffers();

        overlay.Dispose();

        Assert.Equal(2, buffers.Count);
        Assert.All(buffers, b => Assert.True(b.AsSpan().IndexOfAnyExcept((byte)0) < 0));
        Assert.Equal(0, quota.UsedBytes);
        Assert.Throws<ObjectDisposedException>(() => overlay.Stat("f", out _));
    }

    [Fact]
    public void A_read_only_handle_opened_before_a_copy_up_keeps_reading_the_image()
    {
        using var overlay = Over(("f", "original"));
        Assert.Equal(Errno.Success, overlay.Open("f", OpenFlags.None, out var reader));
        using (reader)
        {
            Assert.Equal(Errno.Success, Write(overlay, "f", 0, "CHANGED!"));

            var buffer = new byte[8];
            Assert.Equal(Errno.Success, reader!.Read(0, buffer, out var read));
            Assert.Equal("original", Encoding.UTF8.GetString(buffer, 0, read));
            Assert.Equal("CHANGED!", Read(overlay, "f"));
        }
    }

    [Fact]
    public void Upper_inodes_never_collide_with_image_inodes()
    {
        using var overlay = Over(("a", "1"), ("b", "2"));
        Assert.Equal(Errno.Success, Write(overlay, "c", 0, "3", OpenFlags.Create | OpenFlags.Write));
        Assert.Equal(Errno.Success, Write(overlay, "a", 0, "x"));

        var inodes = new[] { "a", "b", "c" }.Select(p => overlay.Stat(p, out var i) == Errno.Success ? i.Inode : 0).ToList();
        overlay.List("", out var entries);

        Assert.Equal(3, inodes.Distinct().Count());
        Assert.Equal(inodes, entries.Select(e => e.Inode));
    }

    private static OverlayFileSystem Over(params (string Path, string Content)[] files)
    {
        var directories = files.SelectMany(f => Ancestors(f.Path)).Distinct();
        return new OverlayFileSystem(new Wasi.Support.ReadOnlyTestFileSystem(files, directories), new MemoryFileSystem(1 << 20));
    }

    private static IEnumerable<string> Ancestors(string path)
    {
        for (var slash = path.LastIndexOf('/'); slash > 0; slash = path.LastIndexOf('/', slash - 1))
        {
            yield return path[..slash];
        }
    }

    private static Errno Write(IFileSystem fs, string path, long offset, string text, OpenFlags flags = OpenFlags.Write)
    {
        var e = fs.Open(path, flags, out var handle);
        if (e != Errno.Success)
        {
            return e;
        }

        using (handle)
        {
            return handle!.Write(offset, Encoding.UTF8.GetBytes(text));
        }
    }

    private static string Read(IFileSystem fs, string path)
    {
        Assert.Equal(Errno.Success, fs.Open(path, OpenFlags.None, out var handle));
        using (handle)
        {
            var buffer = new byte[handle!.Length];
            Assert.Equal(Errno.Success, handle.Read(0, buffer, out var read));
            return Encoding.UTF8.GetString(buffer, 0, read);
        }
    }

    private static List<string> Names(IFileSystem fs, string path)
    {
        Assert.Equal(Errno.Success, fs.List(path, out var entries));
        return [.. entries.Select(e => e.Name)];
    }
}
