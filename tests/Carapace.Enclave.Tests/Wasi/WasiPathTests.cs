using System.Buffers.Binary;
using System.Runtime.Versioning;
using System.Text;
using Carapace.Enclave.FileSystem;
using Carapace.Enclave.FileSystem.Memory;
using Carapace.Enclave.Tests.Wasi.Support;
using Carapace.Enclave.Wasi;
using Xunit;

namespace Carapace.Enclave.Tests.Wasi;

/// <summary>path_* calls, preopens, directory descriptors and fd_readdir, checked call by call.</summary>
[SupportedOSPlatform("linux")]
public sealed class WasiPathTests : IDisposable
{
    private const int Creat = 1, Directory = 2, Excl = 4, Trunc = 8;
    private const long ReadWrite = (long)(WasiRightsForTests.FdRead | WasiRightsForTests.FdWrite);

    private readonly MemoryFileSystem _tmp = new(1 << 20);
    private readonly ReadOnlyTestFileSystem _data = new([("hello.txt", "hi"), ("sub/inner.txt", "inner"), ("bad.bin", "x")], ["sub"], ["bad.bin"]);
    private readonly WasiProbe _probe;

    public WasiPathTests()
    {
        _probe = new WasiProbe(new WasiOptions { Preopens = [("/tmp", _tmp), ("/data", _data)] });
        Assert.Equal(Errno.Success, _tmp.CreateDirectory("a"));
        Assert.Equal(Errno.Success, _tmp.CreateDirectory("a/b"));
        Assert.Equal(Errno.Success, _tmp.Open("a/file", OpenFlags.Create | OpenFlags.Write, out var h));
        Assert.Equal(Errno.Success, h!.Write(0, "content"u8));
        h.Dispose();
    }

    public void Dispose()
    {
        _probe.Dispose();
        _tmp.Dispose();
    }

    [Theory]
    [InlineData("..")]
    [InlineData("../x")]
    [InlineData("/")]
    [InlineData("/etc/passwd")]
    [InlineData("/tmp/a")]
    [InlineData("a/../../x")]
    [InlineData("./..")]
    [InlineData("a/b/../../..")]
    [InlineData("a/./../..")]
    [InlineData("a//..//..//")]
    [InlineData("missing/../../x")]
    public void Paths_leaving_the_preopen_are_ENOTCAPABLE_for_every_call(string path)
    {
        Assert.Equal(Errno.NotCapable, _probe.Open(3, path, out _));
        Assert.Equal(Errno.NotCapable, _probe.Open(4, path, out _));
        var length = _probe.WriteText(1000, path);
        var other = _probe.WriteText(2000, "ok");
        Assert.Equal(Errno.NotCapable, _probe.Call("path_create_directory", 3, 1000, length));
        Assert.Equal(Errno.NotCapable, _probe.Call("path_remove_directory", 3, 1000, length));
        Assert.Equal(Errno.NotCapable, _probe.Call("path_unlink_file", 3, 1000, length));
        Assert.Equal(Errno.NotCapable, _probe.Call("path_filestat_get", 3, 0, 1000, length, 3000));
        Assert.Equal(Errno.NotCapable, _probe.Call("path_rename", 3, 1000, length, 3, 2000, other));
        Assert.Equal(Errno.NotCapable, _probe.Call("path_rename", 3, 2000, other, 3, 1000, length));
        Assert.Equal(Errno.NotCapable, _probe.Call("path_readlink", 3, 1000, length, 3000, 100, 3200));
        Assert.Equal(2, _tmp.NodeCount - 1); // nothing was created or removed
    }

    [Fact]
    public void A_subdirectory_descriptor_confines_its_paths_to_itself()
    {
        Assert.Equal(Errno.Success, _probe.Open(3, "a", out var a, oflags: Directory));
        Assert.Equal(Errno.Success, _probe.Open(a, "file", out _));
        Assert.Equal(Errno.Success, _probe.Open(a, "b/..", out _));
        Assert.Equal(Errno.NotCapable, _probe.Open(a, "..", out _));
        Assert.Equal(Errno.NotCapable, _probe.Open(a, "../a/file", out _));
        Assert.Equal(Errno.NotCapable, _probe.Open(a, "b/../../a", out _));
    }

    [Fact]
    public void Malformed_paths_are_rejected()
    {
        Assert.Equal(Errno.NoEnt, _probe.Open(3, "", out _));
        Assert.Equal(Errno.Inval, _probe.Open(3, "a\0b", out _));
        _probe.Write(1000, [0x61, 0xFF, 0x62]); // not UTF-8
        Assert.Equal(Errno.Inval, _probe.Call("path_open", 3, 0, 1000, 3, 0, 2L, 0L, 0, 1100));
        Assert.Equal(Errno.NameTooLong, _probe.Open(3, new string('n', 256), out _));
        Assert.Equal(Errno.NoEnt, _probe.Open(3, new string('n', 255), out _));
        Assert.Equal(Errno.NameTooLong, _probe.Open(3, string.Join('/', Enumerable.Repeat("d", 2100)), out _));
        Assert.Equal(Errno.Fault, _probe.Call("path_open", 3, 0, WasiProbe.MemorySize - 2, 3, 0, 2L, 0L, 0, 1100));
        Assert.Equal(Errno.Fault, _probe.Call("path_open", 3, 0, 1000, 1, 0, 2L, 0L, 0, WasiProbe.MemorySize));
    }

    [Fact]
    public void Preopens_are_discoverable_in_order()
    {
        Assert.Equal(Errno.Success, _probe.Call("fd_prestat_get", 3, 100));
        Assert.Equal(0, _probe.U8(100));
        Assert.Equal(4u, _probe.U32(104));
        Assert.Equal(Errno.NameTooLong, _probe.Call("fd_prestat_dir_name", 3, 200, 3));
        Assert.Equal(Errno.Success, _probe.Call("fd_prestat_dir_name", 3, 200, 4));
        Assert.Equal("/tmp", _probe.ReadText(200, 4));
        Assert.Equal(Errno.Success, _probe.Call("fd_prestat_get", 4, 100));
        Assert.Equal(5u, _probe.U32(104));
        Assert.Equal(Errno.Success, _probe.Call("fd_prestat_dir_name", 4, 200, 64));
        Assert.Equal("/data", _probe.ReadText(200, 5));
        Assert.Equal(Errno.BadF, _probe.Call("fd_prestat_get", 5, 100));
        Assert.Equal(Errno.Fault, _probe.Call("fd_prestat_get", 3, WasiProbe.MemorySize - 4));
        Assert.Equal(Errno.Fault, _probe.Call("fd_prestat_dir_name", 3, WasiProbe.MemorySize - 3, 4));

        // Directory rights: the read-only preopen cannot create.
        Assert.Equal(Errno.Success, _probe.Call("fd_fdstat_get", 3, 100));
        Assert.Equal(3, _probe.U8(100));
        Assert.NotEqual(0UL, _probe.U64(108) & WasiRightsForTests.PathCreateFile);
        Assert.Equal(Errno.Success, _probe.Call("fd_fdstat_get", 4, 100));
        Assert.Equal(0UL, _probe.U64(108) & WasiRightsForTests.PathCreateFile);
        Assert.NotEqual(0UL, _probe.U64(108) & WasiRightsForTests.PathOpen);
    }

    [Fact]
    public void Path_open_follows_the_oflags()
    {
        Assert.Equal(Errno.NotDir, _probe.Open(3, "a/file", out _, oflags: Directory));
        Assert.Equal(Errno.NotDir, _probe.Open(3, "a/file/", out _));
        Assert.Equal(Errno.NotDir, _probe.Open(3, "a/file/x", out _));
        Assert.Equal(Errno.Inval, _probe.Open(3, "a/new", out _, oflags: Creat | Directory));
        Assert.Equal(Errno.Inval, _probe.Open(3, "a", out _, oflags: 16));
        Assert.Equal(Errno.Inval, _probe.Open(3, "a/file", out _, fdflags: 64));
        Assert.Equal(Errno.IsDir, _probe.Open(3, "a", out _, rights: ReadWrite));
        Assert.Equal(Errno.IsDir, _probe.Open(3, "a/new/", out _, oflags: Creat, rights: ReadWrite));
        Assert.Equal(Errno.Exist, _probe.Open(3, "a/file", out _, oflags: Creat | Excl, rights: ReadWrite));
        Assert.Equal(Errno.Exist, _probe.Open(3, "a", out _, oflags: Creat | Excl));
        Assert.Equal(Errno.NoEnt, _probe.Open(3, "a/missing", out _));
        Assert.Equal(Errno.NoEnt, _probe.Open(3, "a/missing", out _, oflags: Directory));
        Assert.Equal(Errno.NoEnt, _probe.Open(3, "missing/x", out _, oflags: Creat, rights: ReadWrite));

        // Opening a directory gives a directory descriptor.
        Assert.Equal(Errno.Success, _probe.Open(3, "a", out var dir));
        Assert.Equal(Errno.Success, _probe.Call("fd_fdstat_get", dir, 100));
        Assert.Equal(3, _probe.U8(100));
        Assert.Equal(Errno.IsDir, _probe.ReadFd(dir, 10, out _));
        Assert.Equal(Errno.BadF, _probe.WriteFd(dir, "x"u8, out _));
        Assert.Equal(Errno.BadF, _probe.Call("fd_seek", dir, 0L, 0, 100));
        Assert.Equal(Errno.Success, _probe.Open(3, ".", out var self, oflags: Directory));
        Assert.Equal(Errno.Success, _probe.Call("fd_filestat_get", self, 200));
        Assert.Equal(3, _probe.U8(216));

        // TRUNC empties, CREAT makes, files read back.
        Assert.Equal(Errno.Success, _probe.Open(3, "a/file", out var f, oflags: Trunc, rights: ReadWrite));
        Assert.Equal(Errno.Success, _tmp.Stat("a/file", out var info));
        Assert.Equal(0, info.Size);
        Assert.Equal(Errno.Success, _probe.WriteFd(f, "new"u8, out _));
        Assert.Equal(Errno.Success, _probe.Call("fd_filestat_get", f, 200));
        Assert.Equal(4, _probe.U8(216));
        Assert.Equal(3UL, _probe.U64(232));
        Assert.Equal(info.Inode, _probe.U64(208));
        Assert.Equal(1UL, _probe.U64(200)); // dev of the first file system
        Assert.Equal(Errno.Success, _probe.Open(3, "a/created", out var c, oflags: Creat | Excl, rights: ReadWrite));
        Assert.Equal(Errno.Success, _probe.WriteFd(c, "12345"u8, out _));
        Assert.Equal(Errno.Success, _probe.Call("fd_seek", c, 1L, 0, 100));
        Assert.Equal(Errno.Success, _probe.ReadFd(c, 100, out var back));
        Assert.Equal("2345", Encoding.ASCII.GetString(back));
    }

    [Fact]
    public void File_descriptors_support_size_allocate_pread_pwrite_sync_advise()
    {
        Assert.Equal(Errno.Success, _probe.Open(3, "f", out var fd, oflags: Creat, rights: ReadWrite));
        Assert.Equal(Errno.Success, _probe.Call("fd_allocate", fd, 10L, 6L));
        Assert.Equal(Errno.Success, _tmp.Stat("f", out var info));
        Assert.Equal(16, info.Size);
        Assert.Equal(Errno.Inval, _probe.Call("fd_allocate", fd, 0L, 0L));
        Assert.Equal(Errno.Success, _probe.Call("fd_filestat_set_size", fd, 4L));
        Assert.Equal(Errno.Inval, _probe.Call("fd_filestat_set_size", fd, -1L));
        _probe.Write(1000, "wxyz"u8);
        _probe.WriteIovec(300, 1000, 4);
        Assert.Equal(Errno.Success, _probe.Call("fd_pwrite", fd, 300, 1, 6L, 400));
        Assert.Equal(4u, _probe.U32(400));
        Assert.Equal(Errno.Success, _probe.Call("fd_tell", fd, 400));
        Assert.Equal(0UL, _probe.U64(400)); // pwrite does not move the offset
        _probe.WriteIovec(300, 2000, 100);
        Assert.Equal(Errno.Success, _probe.Call("fd_pread", fd, 300, 1, 0L, 400));
        Assert.Equal(10u, _probe.U32(400));
        Assert.Equal(new byte[] { 0, 0, 0, 0, 0, 0, (byte)'w', (byte)'x', (byte)'y', (byte)'z' }, _probe.Read(2000, 10));
        Assert.Equal(Errno.Success, _probe.Call("fd_sync", fd));
        Assert.Equal(Errno.Success, _probe.Call("fd_datasync", fd));
        Assert.Equal(Errno.Success, _probe.Call("fd_advise", fd, 0L, 0L, 5));
        Assert.Equal(Errno.Inval, _probe.Call("fd_advise", fd, 0L, 0L, 6));
        Assert.Equal(Errno.Success, _probe.Call("fd_seek", fd, 0L, 2, 400));
        Assert.Equal(10UL, _probe.U64(400));

        Assert.Equal(Errno.Success, _probe.Open(3, "f", out var ro));
        Assert.Equal(Errno.BadF, _probe.Call("fd_filestat_set_size", ro, 0L));
        Assert.Equal(Errno.BadF, _probe.Call("fd_allocate", ro, 0L, 1L));
        Assert.Equal(Errno.BadF, _probe.Call("fd_pwrite", ro, 300, 1, 0L, 400));
    }

    [Fact]
    public void Path_calls_follow_POSIX_errors()
    {
        int P(string path, int at = 1000) => _probe.WriteText(at, path);

        Assert.Equal(Errno.Exist, _probe.Call("path_create_directory", 3, 1000, P("a")));
        Assert.Equal(Errno.Exist, _probe.Call("path_create_directory", 3, 1000, P(".")));
        Assert.Equal(Errno.NoEnt, _probe.Call("path_create_directory", 3, 1000, P("x/y")));
        Assert.Equal(Errno.NotDir, _probe.Call("path_create_directory", 3, 1000, P("a/file/y")));
        Assert.Equal(Errno.Success, _probe.Call("path_create_directory", 3, 1000, P("a/c/")));
        Assert.Equal(Errno.NotEmpty, _probe.Call("path_remove_directory", 3, 1000, P("a")));
        Assert.Equal(Errno.NotDir, _probe.Call("path_remove_directory", 3, 1000, P("a/file")));
        Assert.Equal(Errno.Inval, _probe.Call("path_remove_directory", 3, 1000, P("a/c/.")));
        Assert.Equal(Errno.Inval, _probe.Call("path_remove_directory", 3, 1000, P("a/..")));
        Assert.Equal(Errno.Success, _probe.Call("path_remove_directory", 3, 1000, P("a/c")));
        Assert.Equal(Errno.IsDir, _probe.Call("path_unlink_file", 3, 1000, P("a")));
        Assert.Equal(Errno.IsDir, _probe.Call("path_unlink_file", 3, 1000, P("a/")));
        Assert.Equal(Errno.NotDir, _probe.Call("path_unlink_file", 3, 1000, P("a/file/")));
        Assert.Equal(Errno.NoEnt, _probe.Call("path_unlink_file", 3, 1000, P("a/nothing")));

        Assert.Equal(Errno.NotDir, _probe.Call("path_rename", 3, 1000, P("a/file"), 3, 2000, P("a/renamed/", 2000)));
        Assert.Equal(Errno.Inval, _probe.Call("path_rename", 3, 1000, P("a"), 3, 2000, P("a/b/inside", 2000)));
        Assert.Equal(Errno.IsDir, _probe.Call("path_rename", 3, 1000, P("a/file"), 3, 2000, P("a/b", 2000)));
        Assert.Equal(Errno.Inval, _probe.Call("path_rename", 3, 1000, P("a/."), 3, 2000, P("z", 2000)));
        Assert.Equal(Errno.XDev, _probe.Call("path_rename", 3, 1000, P("a/file"), 4, 2000, P("file", 2000)));
        Assert.Equal(Errno.Success, _probe.Call("path_rename", 3, 1000, P("a/file"), 3, 2000, P("moved", 2000)));
        Assert.Equal(Errno.NoEnt, _tmp.Stat("a/file", out _));
        Assert.Equal(Errno.Success, _tmp.Stat("moved", out _));

        Assert.Equal(Errno.Success, _probe.Call("path_filestat_get", 3, 0, 1000, P("moved"), 3000));
        Assert.Equal(4, _probe.U8(3016));
        Assert.Equal(7UL, _probe.U64(3032));
        Assert.Equal(Errno.NotDir, _probe.Call("path_filestat_get", 3, 0, 1000, P("moved/"), 3000));
        Assert.Equal(Errno.Fault, _probe.Call("path_filestat_get", 3, 0, 1000, P("moved"), WasiProbe.MemorySize - 8));
        Assert.Equal(Errno.Inval, _probe.Call("path_readlink", 3, 1000, P("moved"), 3000, 100, 3200));
        Assert.Equal(Errno.NoEnt, _probe.Call("path_readlink", 3, 1000, P("gone"), 3000, 100, 3200));
    }

    [Fact]
    public void Read_only_file_system_refuses_modification_with_EROFS()
    {
        int P(string path) => _probe.WriteText(1000, path);
        Assert.Equal(Errno.RoFs, _probe.Open(4, "hello.txt", out _, rights: ReadWrite));
        Assert.Equal(Errno.RoFs, _probe.Open(4, "hello.txt", out _, oflags: Trunc));
        Assert.Equal(Errno.RoFs, _probe.Open(4, "new.txt", out _, oflags: Creat));
        Assert.Equal(Errno.Success, _probe.Open(4, "hello.txt", out var fd, oflags: Creat));
        Assert.Equal(Errno.BadF, _probe.WriteFd(fd, "x"u8, out _));
        Assert.Equal(Errno.Success, _probe.ReadFd(fd, 10, out var data));
        Assert.Equal("hi", Encoding.ASCII.GetString(data));
        Assert.Equal(Errno.RoFs, _probe.Call("path_create_directory", 4, 1000, P("new")));
        Assert.Equal(Errno.Exist, _probe.Call("path_create_directory", 4, 1000, P("sub")));
        Assert.Equal(Errno.RoFs, _probe.Call("path_remove_directory", 4, 1000, P("sub")));
        Assert.Equal(Errno.NoEnt, _probe.Call("path_remove_directory", 4, 1000, P("nothing")));
        Assert.Equal(Errno.RoFs, _probe.Call("path_unlink_file", 4, 1000, P("hello.txt")));
        Assert.Equal(Errno.NoEnt, _probe.Call("path_unlink_file", 4, 1000, P("nothing")));
        var to = _probe.WriteText(2000, "other");
        Assert.Equal(Errno.RoFs, _probe.Call("path_rename", 4, 1000, P("hello.txt"), 4, 2000, to));
        Assert.Equal(Errno.Success, _probe.Open(4, "sub", out var sub));
        Assert.Equal(Errno.Success, _probe.Open(sub, "inner.txt", out var inner));
        Assert.Equal(Errno.Success, _probe.ReadFd(inner, 10, out data));
        Assert.Equal("inner", Encoding.ASCII.GetString(data));
    }

    [Fact]
    public void Integrity_failures_are_EIO_and_recorded()
    {
        Assert.Equal(Errno.Success, _probe.Open(4, "bad.bin", out var fd));
        Assert.Null(_probe.Context.IntegrityViolation);
        Assert.Equal(Errno.Io, _probe.ReadFd(fd, 10, out _));
        Assert.Equal("file bad.bin: block 0 failed verification", _probe.Context.IntegrityViolation);
        Assert.Equal(Errno.Io, _probe.Call("fd_pread", fd, 58000, 1, 0L, 58100));
        Assert.Equal(Errno.Success, _probe.Open(4, "hello.txt", out var good));
        Assert.Equal(Errno.Success, _probe.ReadFd(good, 10, out _)); // the call that failed did not poison the others
    }

    [Fact]
    public void Readdir_with_a_tiny_buffer_resumes_from_cookies()
    {
        foreach (var name in new[] { "c1", "bb", "a-much-longer-name" })
        {
            Assert.Equal(Errno.Success, _tmp.Open("a/b/" + name, OpenFlags.Create, out var h));
            h!.Dispose();
        }

        Assert.Equal(Errno.Success, _probe.Open(3, "a/b", out var dir));
        Assert.Equal(Errno.Success, _tmp.Stat("a/b", out var self));
        Assert.Equal(Errno.Success, _tmp.Stat("a", out var parent));

        // Buffers of 30 bytes hold one whole entry (24-byte header + short name) and part of the next.
        var entries = new List<(string Name, ulong Inode, byte Type)>();
        var cookie = 0L;
        var calls = 0;
        while (true)
        {
            var size = 24 + 18 + 5; // big enough for the longest name, never for two entries
            Assert.Equal(Errno.Success, _probe.Call("fd_readdir", dir, 4000, size, cookie, 3900));
            var used = (int)_probe.U32(3900);
            calls++;
            var buffer = _probe.Read(4000, used);
            var offset = 0;
            var progressed = false;
            while (offset + 24 <= used)
            {
                var next = BinaryPrimitives.ReadInt64LittleEndian(buffer.AsSpan(offset));
                var inode = BinaryPrimitives.ReadUInt64LittleEndian(buffer.AsSpan(offset + 8));
                var length = (int)BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(offset + 16));
                if (offset + 24 + length > used)
                {
                    break; // cut off: read it again from its cookie
                }

                entries.Add((Encoding.UTF8.GetString(buffer, offset + 24, length), inode, buffer[offset + 20]));
                cookie = next;
                offset += 24 + length;
                progressed = true;
            }

            if (used < size)
            {
                break;
            }

            Assert.True(progressed);
        }

        Assert.Equal([".", "..", "a-much-longer-name", "bb", "c1"], entries.Select(e => e.Name));
        Assert.Equal(self.Inode, entries[0].Inode);
        Assert.Equal(parent.Inode, entries[1].Inode);
        Assert.All(entries.Take(2), e => Assert.Equal(3, e.Type));
        Assert.All(entries.Skip(2), e => Assert.Equal(4, e.Type));
        Assert.True(calls >= 5);

        // Exactly the spec's truncation: a 10-byte buffer gets the first 10 bytes of the first header.
        Assert.Equal(Errno.Success, _probe.Call("fd_readdir", dir, 4000, 10, 0L, 3900));
        Assert.Equal(10u, _probe.U32(3900));
        Assert.Equal(1UL, _probe.U64(4000));
        Assert.Equal(Errno.Success, _probe.Call("fd_readdir", dir, 4000, 1000, 5L, 3900));
        Assert.Equal(0u, _probe.U32(3900));
        Assert.Equal(Errno.Success, _probe.Call("fd_readdir", dir, 4000, 1000, 99L, 3900));
        Assert.Equal(0u, _probe.U32(3900));
        Assert.Equal(Errno.Fault, _probe.Call("fd_readdir", dir, WasiProbe.MemorySize - 10, 20, 0L, 3900));
        Assert.Equal(Errno.Success, _probe.Open(3, "a/file", out var file));
        Assert.Equal(Errno.NotDir, _probe.Call("fd_readdir", file, 4000, 100, 0L, 3900));
    }

    [Fact]
    public void Readdir_cookies_stay_valid_while_the_directory_changes()
    {
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(Errno.Success, _tmp.CreateDirectory($"a/b/d{i}"));
        }

        Assert.Equal(Errno.Success, _probe.Open(3, "a/b", out var dir));
        Assert.Equal(Errno.Success, _probe.Call("fd_readdir", dir, 4000, 24 + 2, 0L, 3900)); // "." only
        Assert.Equal(Errno.Success, _tmp.RemoveDirectory("a/b/d0"));
        Assert.Equal(Errno.Success, _probe.Call("fd_readdir", dir, 4000, 4000, 1L, 3900));
        var used = (int)_probe.U32(3900);
        Assert.Equal((5 * 26) + 26, used); // "..", d0..d4 as listed at cookie 0
    }
}
