using Carapace.Enclave.FileSystem;
using Carapace.Enclave.FileSystem.Memory;
using Carapace.Enclave.Wasi;
using FsCheck.Xunit;
using Xunit;

namespace Carapace.Enclave.Tests.FileSystem.Memory;

/// <summary>The in-enclave <c>/tmp</c>: POSIX-like semantics, limits, and zeroing.</summary>
public sealed class MemoryFileSystemTests : IDisposable
{
    private readonly MemoryFileSystem _fs = new(1000, maxNodes: 20);

    public void Dispose() => _fs.Dispose();

    [Fact]
    public void Files_are_created_written_read_and_described()
    {
        ulong clock = 42;
        using var fs = new MemoryFileSystem(1 << 20, clock: () => clock);
        Assert.False(fs.IsReadOnly);
        Assert.Equal(Errno.Success, fs.CreateDirectory("dir"));
        var handle = Create(fs, "dir/f");
        Assert.Equal(Errno.Success, handle.Write(0, "hello"u8));
        clock = 99;
        Assert.Equal(Errno.Success, handle.Write(10, "!"u8)); // the gap reads as zeros
        Assert.Equal(11, handle.Length);
        Assert.Equal("hello\0\0\0\0\0!"u8.ToArray(), ReadAll(handle));
        Assert.Equal(Errno.Success, handle.Read(100, new byte[4], out var read));
        Assert.Equal(0, read);
        Assert.Equal(Errno.Inval, handle.Read(-1, new byte[4], out _));
        Assert.Equal(Errno.Success, fs.Stat("dir/f", out var info));
        Assert.Equal((NodeKind.File, 11L, 99UL), (info.Kind, info.Size, info.ModifiedNanoseconds));
        Assert.Equal(Errno.Success, fs.Stat("dir", out var dir));
        Assert.Equal(NodeKind.Directory, dir.Kind);
        Assert.NotEqual(dir.Inode, info.Inode);
        Assert.Equal(Errno.Success, fs.Stat("", out var root));
        Assert.NotEqual(root.Inode, dir.Inode);
        Assert.Equal(11, fs.UsedBytes);
        Assert.Equal(2, fs.NodeCount);
        handle.Dispose();
    }

    [Fact]
    public void Listing_is_sorted_ordinally()
    {
        foreach (var name in new[] { "b", "B", "a", "ä", "_" })
        {
            Create(_fs, name).Dispose();
        }

        Assert.Equal(Errno.Success, _fs.CreateDirectory("c"));
        Assert.Equal(Errno.Success, _fs.List("", out var entries));
        Assert.Equal(["B", "_", "a", "b", "c", "ä"], entries.Select(e => e.Name));
        Assert.Equal(NodeKind.Directory, entries.Single(e => e.Name == "c").Kind);
        Assert.Equal(Errno.NotDir, _fs.List("a", out _));
        Assert.Equal(Errno.NoEnt, _fs.List("zz", out _));
    }

    [Fact]
    public void Open_reports_POSIX_errors()
    {
        Assert.Equal(Errno.Success, _fs.CreateDirectory("d"));
        Create(_fs, "f").Dispose();
        Assert.Equal(Errno.NoEnt, _fs.Open("missing", OpenFlags.None, out _));
        Assert.Equal(Errno.NoEnt, _fs.Open("missing/x", OpenFlags.Create, out _));
        Assert.Equal(Errno.NotDir, _fs.Open("f/x", OpenFlags.Create, out _));
        Assert.Equal(Errno.IsDir, _fs.Open("d", OpenFlags.None, out _));
        Assert.Equal(Errno.IsDir, _fs.Open("", OpenFlags.None, out _));
        Assert.Equal(Errno.Exist, _fs.Open("f", OpenFlags.Create | OpenFlags.Exclusive, out _));
        Assert.Equal(Errno.Inval, _fs.Open("d/../f", OpenFlags.None, out _));
        Assert.Equal(Errno.Inval, _fs.Open("d//f", OpenFlags.None, out _));
        Assert.Equal(Errno.Success, _fs.Open("f", OpenFlags.None, out var readOnly));
        Assert.Equal(Errno.BadF, readOnly!.Write(0, "x"u8));
        Assert.Equal(Errno.BadF, readOnly.SetLength(3));
        readOnly.Dispose();
    }

    [Fact]
    public void Truncate_and_extend_zero_fill()
    {
        var handle = Create(_fs, "f");
        Assert.Equal(Errno.Success, handle.Write(0, "abcdef"u8));
        Assert.Equal(Errno.Success, handle.SetLength(2));
        Assert.Equal(Errno.Success, handle.SetLength(6));
        Assert.Equal("ab\0\0\0\0"u8.ToArray(), ReadAll(handle));
        Assert.Equal(Errno.Inval, handle.SetLength(-1));
        Assert.Equal(Errno.Success, _fs.Open("f", OpenFlags.Truncate | OpenFlags.Write, out var again));
        Assert.Equal(0, handle.Length);
        Assert.Equal(0, _fs.UsedBytes);
        again!.Dispose();
        handle.Dispose();
    }

    [Fact]
    public void The_size_limit_is_ENOSPC_and_changes_nothing()
    {
        var a = Create(_fs, "a");
        var b = Create(_fs, "b");
        Assert.Equal(Errno.Success, a.Write(0, new byte[600]));
        Assert.Equal(Errno.Success, b.Write(0, new byte[400]));
        Assert.Equal(1000, _fs.UsedBytes);
        Assert.Equal(Errno.NoSpc, b.Write(400, new byte[1]));
        Assert.Equal(Errno.NoSpc, b.SetLength(401));
        Assert.Equal(Errno.Success, b.Write(0, new byte[400])); // overwriting needs no space
        Assert.Equal(400, b.Length);
        Assert.Equal(Errno.Success, _fs.Unlink("a"));
        Assert.Equal(1000, _fs.UsedBytes);               // still open
        a.Dispose();
        Assert.Equal(400, _fs.UsedBytes);
        Assert.Equal(Errno.Success, b.Write(400, new byte[600]));
        Assert.Equal(Errno.FBig, b.Write(long.MaxValue - 1, new byte[4]));
        b.Dispose();
    }

    [Fact]
    public void The_node_limit_is_ENOSPC()
    {
        using var fs = new MemoryFileSystem(100, maxNodes: 2);
        Assert.Equal(Errno.Success, fs.CreateDirectory("d"));
        Create(fs, "d/f").Dispose();
        Assert.Equal(Errno.NoSpc, fs.CreateDirectory("e"));
        Assert.Equal(Errno.NoSpc, fs.Open("g", OpenFlags.Create, out _));
        Assert.Equal(Errno.Success, fs.Open("d/f", OpenFlags.Create, out var existing)); // opening an existing one is fine
        existing!.Dispose();
        Assert.Equal(Errno.Success, fs.Unlink("d/f"));
        Assert.Equal(Errno.Success, fs.CreateDirectory("e"));
    }

    [Fact]
    public void Directories_are_created_and_removed_with_POSIX_errors()
    {
        Assert.Equal(Errno.Success, _fs.CreateDirectory("d"));
        Assert.Equal(Errno.Exist, _fs.CreateDirectory("d"));
        Assert.Equal(Errno.Exist, _fs.CreateDirectory(""));
        Assert.Equal(Errno.NoEnt, _fs.CreateDirectory("x/y"));
        Create(_fs, "d/f").Dispose();
        Assert.Equal(Errno.NotDir, _fs.CreateDirectory("d/f/g"));
        Assert.Equal(Errno.NotEmpty, _fs.RemoveDirectory("d"));
        Assert.Equal(Errno.NotDir, _fs.RemoveDirectory("d/f"));
        Assert.Equal(Errno.Busy, _fs.RemoveDirectory(""));
        Assert.Equal(Errno.NoEnt, _fs.RemoveDirectory("nothing"));
        Assert.Equal(Errno.IsDir, _fs.Unlink("d"));
        Assert.Equal(Errno.IsDir, _fs.Unlink(""));
        Assert.Equal(Errno.NoEnt, _fs.Unlink("d/nothing"));
        Assert.Equal(Errno.Success, _fs.Unlink("d/f"));
        Assert.Equal(Errno.Success, _fs.RemoveDirectory("d"));
        Assert.Equal(0, _fs.NodeCount);
    }

    [Fact]
    public void Rename_follows_POSIX()
    {
        var a = Create(_fs, "a");
        Assert.Equal(Errno.Success, a.Write(0, "AAA"u8));
        a.Dispose();
        Create(_fs, "b").Dispose();
        Assert.Equal(Errno.Success, _fs.Stat("a", out var aInfo));

        // file over file: replaces, keeping the source's node
        Assert.Equal(Errno.Success, _fs.Rename("a", "b"));
        Assert.Equal(Errno.NoEnt, _fs.Stat("a", out _));
        Assert.Equal(Errno.Success, _fs.Stat("b", out var bInfo));
        Assert.Equal((aInfo.Inode, 3L), (bInfo.Inode, bInfo.Size));
        Assert.Equal(3, _fs.UsedBytes);

        Assert.Equal(Errno.Success, _fs.CreateDirectory("d"));
        Assert.Equal(Errno.Success, _fs.CreateDirectory("d/sub"));
        Assert.Equal(Errno.Success, _fs.CreateDirectory("empty"));
        Assert.Equal(Errno.Success, _fs.CreateDirectory("full"));
        Create(_fs, "full/x").Dispose();

        Assert.Equal(Errno.IsDir, _fs.Rename("b", "d"));              // file over directory
        Assert.Equal(Errno.NotDir, _fs.Rename("d", "b"));             // directory over file
        Assert.Equal(Errno.NotEmpty, _fs.Rename("d", "full"));        // directory over non-empty directory
        Assert.Equal(Errno.Inval, _fs.Rename("d", "d/sub/inside"));   // into itself
        Assert.Equal(Errno.Inval, _fs.Rename("d", "d/new"));
        Assert.Equal(Errno.NoEnt, _fs.Rename("missing", "x"));
        Assert.Equal(Errno.NoEnt, _fs.Rename("b", "missing/x"));
        Assert.Equal(Errno.NotDir, _fs.Rename("b", "b/x"));
        Assert.Equal(Errno.Busy, _fs.Rename("", "x"));
        Assert.Equal(Errno.Busy, _fs.Rename("d", ""));
        Assert.Equal(Errno.Success, _fs.Rename("d", "d"));            // same node: nothing to do
        Assert.Equal(Errno.Success, _fs.Rename("d", "empty"));        // directory over empty directory
        Assert.Equal(Errno.Success, _fs.Stat("empty/sub", out _));
        Assert.Equal(Errno.Success, _fs.Rename("empty", "full/moved"));
        Assert.Equal(Errno.Success, _fs.List("full", out var entries));
        Assert.Equal(["moved", "x"], entries.Select(e => e.Name));
        Assert.Equal(Errno.Success, _fs.Rename("full/moved/sub", "sub")); // a directory up out of its parent
        Assert.Equal(Errno.Success, _fs.Stat("sub", out _));
        Assert.Equal(5, _fs.NodeCount); // b, full, full/x, full/moved, sub
    }

    [Fact]
    public void A_removed_file_stays_usable_while_open()
    {
        var handle = Create(_fs, "f");
        Assert.Equal(Errno.Success, handle.Write(0, "kept"u8));
        Assert.Equal(Errno.Success, _fs.Unlink("f"));
        Assert.Equal(Errno.NoEnt, _fs.Stat("f", out _));
        Assert.Equal(Errno.Success, handle.Write(4, "!"u8));
        Assert.Equal("kept!"u8.ToArray(), ReadAll(handle));
        var buffer = _fs.FileBuffers().Single();
        Assert.Equal(5, _fs.UsedBytes);
        handle.Dispose();
        handle.Dispose();
        Assert.Equal(0, _fs.UsedBytes);
        Assert.Empty(_fs.FileBuffers());
        Assert.All(buffer, b => Assert.Equal(0, b));
    }

    [Fact]
    public void Growing_a_file_zeroes_the_buffers_it_leaves_behind()
    {
        using var fs = new MemoryFileSystem(1 << 20);
        var retired = new List<byte[]>();
        fs.BufferRetired = retired.Add;
        var handle = Create(fs, "f");
        var chunk = Enumerable.Repeat((byte)0x5A, 1000).ToArray();
        for (var i = 0; i < 50; i++)
        {
            Assert.Equal(Errno.Success, handle.Write(i * 1000L, chunk));
        }

        Assert.True(retired.Count >= 5, $"only {retired.Count} buffers were replaced");
        Assert.All(retired, buffer => Assert.All(buffer, b => Assert.Equal(0, b)));
        Assert.Equal(Errno.Success, handle.SetLength(10));
        var current = fs.FileBuffers().Single();
        Assert.All(current.Skip(10), b => Assert.Equal(0, b)); // the cut-off tail is zeroed too
        handle.Dispose();
    }

    [Fact]
    public void Wipe_zeroes_every_file_and_empties_the_tree()
    {
        var open = Create(_fs, "open");
        Assert.Equal(Errno.Success, open.Write(0, "secret1"u8));
        Assert.Equal(Errno.Success, _fs.CreateDirectory("d"));
        var inner = Create(_fs, "d/inner");
        Assert.Equal(Errno.Success, inner.Write(0, "secret2"u8));
        inner.Dispose();
        var detached = Create(_fs, "detached");
        Assert.Equal(Errno.Success, detached.Write(0, "secret3"u8));
        Assert.Equal(Errno.Success, _fs.Unlink("detached"));
        var buffers = _fs.FileBuffers();
        Assert.Equal(3, buffers.Count);

        _fs.Wipe();

        Assert.All(buffers, buffer => Assert.All(buffer, b => Assert.Equal(0, b)));
        Assert.Equal(0, _fs.UsedBytes);
        Assert.Equal(0, _fs.NodeCount);
        Assert.Equal(Errno.Success, _fs.List("", out var entries));
        Assert.Empty(entries);
        Assert.Equal(Errno.BadF, open.Read(0, new byte[10], out _));
        Assert.Equal(Errno.BadF, open.Write(0, "x"u8));
        Assert.Equal(0, open.Length);
        open.Dispose();
        detached.Dispose();

        // Still usable after a wipe.
        Create(_fs, "again").Dispose();
        Assert.Equal(1, _fs.NodeCount);
    }

    [Fact]
    public void Dispose_wipes_and_ends_the_instance()
    {
        var fs = new MemoryFileSystem(100);
        var handle = Create(fs, "f");
        Assert.Equal(Errno.Success, handle.Write(0, "secret"u8));
        var buffer = fs.FileBuffers().Single();
        fs.Dispose();
        Assert.All(buffer, b => Assert.Equal(0, b));
        Assert.Throws<ObjectDisposedException>(() => fs.Stat("", out _));
        Assert.Throws<ObjectDisposedException>(() => fs.Open("f", OpenFlags.Create, out _));
        handle.Dispose();
        fs.Dispose();
    }

    /// <summary>Any sequence of writes and resizes leaves the file equal to a simple model (a growable zero-filled array).</summary>
    [Property(MaxTest = 200)]
    public bool Writes_and_resizes_match_a_model(ushort[] offsets, byte[][] payloads, bool[] resizes)
    {
        using var fs = new MemoryFileSystem(1 << 20);
        var handle = Create(fs, "f");
        var model = new List<byte>();
        var count = Math.Min(offsets.Length, Math.Min(payloads.Length, resizes.Length));
        for (var i = 0; i < count; i++)
        {
            var offset = offsets[i] % 5000;
            var payload = payloads[i] ?? [];
            if (resizes[i])
            {
                if (handle.SetLength(offset) != Errno.Success)
                {
                    return false;
                }

                if (offset < model.Count)
                {
                    model.RemoveRange(offset, model.Count - offset);
                }

                model.AddRange(new byte[offset - model.Count]);
            }
            else
            {
                if (handle.Write(offset, payload) != Errno.Success)
                {
                    return false;
                }

                if (payload.Length > 0 && offset + payload.Length > model.Count)
                {
                    model.AddRange(new byte[offset + payload.Length - model.Count]);
                }

                for (var j = 0; j < payload.Length; j++)
                {
                    model[offset + j] = payload[j];
                }
            }
        }

        var ok = ReadAll(handle).SequenceEqual(model) && fs.UsedBytes == model.Count
            && fs.FileBuffers().All(buffer => buffer.Skip(model.Count).All(b => b == 0));
        handle.Dispose();
        return ok;
    }

    private static IFileHandle Create(MemoryFileSystem fs, string path)
    {
        Assert.Equal(Errno.Success, fs.Open(path, OpenFlags.Create | OpenFlags.Write, out var handle));
        return handle!;
    }

    private static byte[] ReadAll(IFileHandle handle)
    {
        var buffer = new byte[handle.Length];
        Assert.Equal(Errno.Success, handle.Read(0, buffer, out var read));
        Assert.Equal(buffer.Length, read);
        return buffer;
    }
}
