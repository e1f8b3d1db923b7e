using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Carapace.Enclave.Wasi;
using Carapace.Functions.Images;

namespace Carapace.Enclave.Tests.FileSystem.Image;

/// <summary>The packer: what it accepts and refuses, its limits, its arguments and what it reports.</summary>
public sealed class ImagePackerTests : IDisposable
{
    private readonly TempTree _tree = new();

    public void Dispose() => _tree.Dispose();

    [Fact]
    public void A_symbolic_link_is_refused_naming_its_path()
    {
        _tree.File("dir/real.txt", 10);
        File.CreateSymbolicLink(Path.Combine(_tree.Source, "dir", "link.txt"), "real.txt");
        var error = Assert.Throws<ImagePackException>(() => Pack());
        Assert.Contains("dir/link.txt (symbolic link)", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("real.txt", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_special_entry_is_listed_in_one_error()
    {
        _tree.Directory("d");
        File.CreateSymbolicLink(Path.Combine(_tree.Source, "dangling"), "/nonexistent/target");
        Directory.CreateSymbolicLink(Path.Combine(_tree.Source, "d", "dirlink"), _tree.Source);
        Assert.Equal(0, MakeFifo(Path.Combine(_tree.Source, "d", "pipe"), Convert.ToUInt32("644", 8)));
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(Path.Combine(_tree.Source, "sock")));

        var error = Assert.Throws<ImagePackException>(() => Pack());
        Assert.Contains("dangling (symbolic link)", error.Message, StringComparison.Ordinal);
        Assert.Contains("d/dirlink (symbolic link)", error.Message, StringComparison.Ordinal);
        Assert.Contains("d/pipe (named pipe)", error.Message, StringComparison.Ordinal);
        Assert.Contains("sock (socket)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Nesting_deeper_than_64_is_refused_and_64_is_accepted()
    {
        var deep = string.Join('/', Enumerable.Repeat("d", 63));
        _tree.File(deep + "/leaf", 1);
        using (var mounted = Pack().Mount())
        {
            Assert.Equal(Errno.Success, mounted.Stat(deep + "/leaf", out var info));
            Assert.Equal(1, info.Size);
        }

        _tree.File(deep + "/d/too-deep", 1);
        var error = Assert.Throws<ImagePackException>(() => Pack("second.img"));
        Assert.Contains("too-deep", error.Message, StringComparison.Ordinal);
        Assert.Contains("65 levels deep", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unreadable_file_is_refused_naming_its_path()
    {
        if (GetEuid() == 0)
        {
            // Root reads files whatever their mode, so this case cannot be produced here.
            return;
        }

        _tree.File("ok.txt", 10);
        _tree.File("locked.txt", 10);
        File.SetUnixFileMode(Path.Combine(_tree.Source, "locked.txt"), UnixFileMode.None);
        var error = Assert.Throws<ImagePackException>(() => Pack());
        Assert.StartsWith("cannot read locked.txt", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_source_directory_is_refused()
    {
        var error = Assert.Throws<ImagePackException>(() =>
            ImagePacker.Pack(Path.Combine(_tree.Root, "nope"), new MemoryStream(), ImageKeys.NewImageId(), new byte[32]));
        Assert.Contains("is not a directory", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_arguments_are_argument_errors()
    {
        _tree.File("a", 1);
        Assert.Throws<ArgumentException>(() => ImagePacker.Pack(_tree.Source, new MemoryStream(), new byte[15], new byte[32]));
        Assert.Throws<ArgumentException>(() => ImagePacker.Pack(_tree.Source, new MemoryStream(), new byte[16], new byte[31]));
        Assert.Throws<ArgumentException>(() => ImagePacker.Pack(_tree.Source, new NonSeekableStream(), new byte[16], new byte[32]));
        Assert.Throws<ArgumentNullException>(() => ImagePacker.Pack(_tree.Source, null!, new byte[16], new byte[32]));
    }

    [Fact]
    public void Progress_counts_file_bytes_up_to_the_total()
    {
        _tree.File("a", 3_000_000);
        _tree.File("b/c", 10);
        var reports = new List<long>();
        using var output = new MemoryStream();
        var description = ImagePacker.Pack(_tree.Source, output, ImageKeys.NewImageId(), new byte[32], new SynchronousProgress(reports.Add));
        Assert.NotEmpty(reports);
        Assert.Equal(3_000_010, reports[^1]);
        Assert.Equal(3_000_010, description.DataBytes);
        Assert.Equal(reports.Order(), reports);
    }

    [Fact]
    public void Many_small_files_are_reported_about_every_mebibyte_not_per_file()
    {
        for (var i = 0; i < 500; i++)
        {
            _tree.File($"f{i:D4}", 10);
        }

        var reports = new List<long>();
        using var output = new MemoryStream();
        ImagePacker.Pack(_tree.Source, output, ImageKeys.NewImageId(), new byte[32], new SynchronousProgress(reports.Add));
        Assert.Equal([5000L], reports);
    }

    [Fact]
    public void An_empty_tree_packs_and_mounts()
    {
        var image = Pack();
        Assert.Equal(0, image.Description.FileCount);
        Assert.Equal(0, image.Description.DirectoryCount);
        using var mounted = image.Mount();
        Assert.Equal(Errno.Success, mounted.List(string.Empty, out var entries));
        Assert.Empty(entries);
    }

    [Fact]
    public void Hidden_files_are_packed_too()
    {
        _tree.File(".hidden/.dotfile", 5);
        using var mounted = Pack().Mount();
        Assert.Equal(Errno.Success, mounted.Stat(".hidden/.dotfile", out var info));
        Assert.Equal(5, info.Size);
    }

    [Fact]
    public void Packing_into_a_stream_at_an_offset_leaves_the_stream_at_the_image_end()
    {
        _tree.File("a", 5000);
        using var output = new MemoryStream();
        output.Write(new byte[1000]);
        var description = ImagePacker.Pack(_tree.Source, output, ImageKeys.NewImageId(), new byte[32]);
        Assert.Equal(1000 + description.ImageBytes, output.Position);
        output.Position = 1000;
        Assert.Equal(description.Root.ToArray(), ImageHeader.Read(output).Root.ToArray());
    }

    [Fact]
    public void Packing_the_same_tree_twice_gives_the_same_listing_and_content_but_a_fresh_root()
    {
        var files = SampleTree.Create(_tree, big: false);
        var key = RandomNumberGenerator.GetBytes(32);
        var id = ImageKeys.NewImageId();
        var first = PackedImage.Pack(_tree.Source, _tree.Output("1.img"), key, id);
        var second = PackedImage.Pack(_tree.Source, _tree.Output("2.img"), key, id);
        Assert.NotEqual(first.Root, second.Root);
        Assert.Equal(first.Description.ImageBytes, second.Description.ImageBytes);

        using var a = first.Mount();
        using var b = second.Mount();
        foreach (var directory in SampleTree.Directories.Append(string.Empty))
        {
            Assert.Equal(Errno.Success, a.List(directory, out var left));
            Assert.Equal(Errno.Success, b.List(directory, out var right));
            Assert.Equal(left, right);
        }

        Assert.Equal(Errno.Success, a.List(string.Empty, out var root));
        Assert.Equal(
            ["Zebra", "a", "empty-dir", "empty.txt", "one.bin", "ünïcödé 日本"],
            root.Select(e => e.Name));
        Assert.Equal([2UL, 3UL, 4UL, 5UL, 6UL, 7UL], root.Select(e => e.Inode));
        foreach (var (path, content) in files)
        {
            Assert.Equal(content, ImageRoundTripTests.ReadAll(a, path, 4096));
            Assert.Equal(content, ImageRoundTripTests.ReadAll(b, path, 4096));
        }
    }

    [DllImport("libc", EntryPoint = "geteuid")]
    private static extern uint GetEuid();

    [DllImport("libc", EntryPoint = "mkfifo")]
    private static extern int MakeFifo([MarshalAs(UnmanagedType.LPUTF8Str)] string path, uint mode);

    private PackedImage Pack(string name = "image.img") => PackedImage.Pack(_tree.Source, _tree.Output(name));

    private sealed class NonSeekableStream : MemoryStream
    {
        public override bool CanSeek => false;
    }

    private sealed class SynchronousProgress(Action<long> report) : IProgress<long>
    {
        public void Report(long value) => report(value);
    }
}
