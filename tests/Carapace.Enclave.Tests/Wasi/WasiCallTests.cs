using System.Runtime.Versioning;
using System.Text;
using Carapace.Enclave.FileSystem.Memory;
using Carapace.Enclave.Tests.Wasi.Support;
using Carapace.Enclave.Wasi;
using Wasmtime;
using Xunit;

namespace Carapace.Enclave.Tests.Wasi;

/// <summary>Single WASI calls with exact arguments (through <see cref="WasiProbe"/>): errnos, bounds, layouts.</summary>
[SupportedOSPlatform("linux")]
public sealed class WasiCallTests
{
    private const int Beyond = WasiProbe.MemorySize; // first address past the memory
    private const int Negative = -16;               // 0xFFFFFFF0 as a guest pointer

    [Fact]
    public void Define_defines_every_preview1_function_with_the_right_signature()
    {
        // Instantiating the probe (which imports all 46 functions with the witx signatures) is the check.
        using var probe = new WasiProbe();
        Assert.Equal(WasiProbe.Signatures.Select(s => s.Name).Order(StringComparer.Ordinal), WasiPreview1.FunctionNames.Order(StringComparer.Ordinal));
        Assert.Equal(46, WasiPreview1.FunctionNames.Count);
    }

    [Fact]
    public void Store_data_may_be_an_IWasiHost()
    {
        using var context = new WasiContext(new WasiOptions { Args = ["x"] });
        using var linker = new Linker(WasiHarness.Engine);
        WasiPreview1.Define(linker);
        using var store = new Store(WasiHarness.Engine, new Host(context));
        using var module = Module.FromText(WasiHarness.Engine, "host", """
            (module
              (import "wasi_snapshot_preview1" "args_sizes_get" (func $f (param i32 i32) (result i32)))
              (memory (export "memory") 1)
              (func (export "run") (result i32) i32.const 0 i32.const 4 call $f))
            """);
        var instance = linker.Instantiate(store, module);
        Assert.Equal(0, instance.GetFunction<int>("run")!());
        Assert.Equal(1, instance.GetMemory("memory")!.ReadInt32(0));
    }

    [Fact]
    public void Other_store_data_traps()
    {
        using var linker = new Linker(WasiHarness.Engine);
        WasiPreview1.Define(linker);
        using var store = new Store(WasiHarness.Engine, "not a context");
        using var module = Module.FromText(WasiHarness.Engine, "bad", """
            (module
              (import "wasi_snapshot_preview1" "sched_yield" (func $f (result i32)))
              (func (export "run") (result i32) call $f))
            """);
        var instance = linker.Instantiate(store, module);
        var e = Assert.ThrowsAny<WasmtimeException>(() => instance.GetFunction<int>("run")!());
        Assert.IsType<InvalidOperationException>(e.InnerException);
    }

    [Fact]
    public void A_disposed_context_traps()
    {
        var probe = new WasiProbe();
        probe.Context.Dispose();
        var e = Assert.ThrowsAny<WasmtimeException>(() => probe.Call("fd_write", 1, 0, 0, 0));
        Assert.IsType<ObjectDisposedException>(e.InnerException);
        probe.Dispose();
    }

    [Fact]
    public void Memory_that_grew_since_the_last_call_is_reachable()
    {
        using var context = new WasiContext(new WasiOptions());
        using var linker = new Linker(WasiHarness.Engine);
        WasiPreview1.Define(linker);
        using var store = new Store(WasiHarness.Engine, context);
        using var module = Module.FromText(WasiHarness.Engine, "grow", """
            (module
              (import "wasi_snapshot_preview1" "random_get" (func $r (param i32 i32) (result i32)))
              (memory (export "memory") 1)
              (func (export "low") (result i32) i32.const 0 i32.const 8 call $r)
              (func (export "grow") (result i32) i32.const 1 memory.grow)
              (func (export "high") (result i32) i32.const 65600 i32.const 8 call $r)
              (func (export "straddle") (result i32) i32.const 65530 i32.const 12 call $r)
              (func (export "beyond") (result i32) i32.const 131070 i32.const 4 call $r))
            """);
        var instance = linker.Instantiate(store, module);
        int Call(string name) => instance.GetFunction<int>(name)!();
        Assert.Equal((int)Errno.Success, Call("low"));
        Assert.Equal((int)Errno.Fault, Call("high"));
        Assert.Equal(1, Call("grow"));
        Assert.Equal((int)Errno.Success, Call("high"));
        Assert.Equal((int)Errno.Success, Call("straddle"));
        Assert.Equal((int)Errno.Fault, Call("beyond"));
        Assert.Equal((int)Errno.Success, Call("low"));
    }

    [Fact]
    public void Args_and_environ_have_the_exact_layout()
    {
        using var probe = new WasiProbe(new WasiOptions { Args = ["prog", "a b", ""], Environment = [new("K", "v=1"), new("Z", "")] });
        Assert.Equal(Errno.Success, probe.Call("args_sizes_get", 0, 4));
        Assert.Equal(3u, probe.U32(0));
        Assert.Equal(5u + 4 + 1, probe.U32(4));
        Assert.Equal(Errno.Success, probe.Call("args_get", 100, 200));
        Assert.Equal([200u, 205u, 209u], new[] { probe.U32(100), probe.U32(104), probe.U32(108) });
        Assert.Equal("prog\0a b\0\0", probe.ReadText(200, 10));

        Assert.Equal(Errno.Success, probe.Call("environ_sizes_get", 0, 4));
        Assert.Equal(2u, probe.U32(0));
        Assert.Equal(6u + 3, probe.U32(4));
        Assert.Equal(Errno.Success, probe.Call("environ_get", 300, 400));
        Assert.Equal([400u, 406u], new[] { probe.U32(300), probe.U32(304) });
        Assert.Equal("K=v=1\0Z=\0", probe.ReadText(400, 9));
    }

    [Theory]
    [InlineData("args_sizes_get", Beyond - 2, 0)]
    [InlineData("args_sizes_get", 0, Negative)]
    [InlineData("args_get", Beyond - 4, 0)]
    [InlineData("args_get", 0, Beyond - 3)]
    [InlineData("environ_sizes_get", Negative, 0)]
    [InlineData("environ_get", 0, Beyond - 1)]
    [InlineData("clock_res_get", 1, Beyond - 7)]
    [InlineData("random_get", Beyond - 8, 9)]
    [InlineData("random_get", Negative, 4)]
    [InlineData("fd_fdstat_get", 0, Beyond - 23)]
    [InlineData("fd_filestat_get", 0, Beyond - 63)]
    [InlineData("fd_tell", 0, Negative)]
    public void Pointers_outside_memory_fault(string function, int a, int b)
    {
        using var probe = new WasiProbe(new WasiOptions { Args = ["prog", "arg"], Environment = [new("K", "V")] });
        Assert.Equal(Errno.Fault, probe.Call(function, a, b));
    }

    [Fact]
    public void Io_pointers_outside_memory_fault_and_nothing_is_written()
    {
        using var probe = new WasiProbe(new WasiOptions { Stdin = "abc"u8.ToArray() });
        probe.WriteIovec(100, 1000, 3);
        Assert.Equal(Errno.Fault, probe.Call("fd_write", 1, Beyond - 4, 1, 200));   // iovec array beyond
        Assert.Equal(Errno.Fault, probe.Call("fd_write", 1, 100, 1, Beyond - 2));   // result beyond
        probe.WriteIovec(100, Beyond - 2, 3);
        Assert.Equal(Errno.Fault, probe.Call("fd_write", 1, 100, 1, 200));          // buffer beyond
        probe.WriteIovec(108, Negative, 3);
        Assert.Equal(Errno.Fault, probe.Call("fd_write", 1, 100, 2, 200));          // second buffer wraps
        Assert.Equal(0, probe.Context.StdoutLength);
        Assert.Equal(Errno.Fault, probe.Call("fd_read", 0, 100, 1, 200));
        Assert.Equal(Errno.Fault, probe.Call("fd_read", 0, 100, int.MaxValue, 200)); // count * 8 beyond
        Assert.Equal(Errno.Fault, probe.Call("clock_time_get", 1, 0L, Beyond - 4));
        Assert.Equal(Errno.Fault, probe.Call("fd_seek", 0, 0L, 0, Beyond - 1));
        Assert.Equal(Errno.Fault, probe.Call("poll_oneoff", Beyond - 40, 0, 1, 8));
        Assert.Equal(Errno.Fault, probe.Call("poll_oneoff", 0, Beyond - 16, 1, 8));
    }

    [Fact]
    public void Bad_descriptors_are_EBADF()
    {
        using var tmp = new MemoryFileSystem(1024);
        using var probe = new WasiProbe(new WasiOptions { Preopens = [("/tmp", tmp)] });
        probe.WriteIovec(100, 1000, 1);
        Assert.Equal(Errno.BadF, probe.Call("fd_write", 99, 100, 1, 200));
        Assert.Equal(Errno.BadF, probe.Call("fd_read", -1, 100, 1, 200));
        Assert.Equal(Errno.BadF, probe.Call("fd_close", 4));
        Assert.Equal(Errno.BadF, probe.Call("fd_seek", 1000, 0L, 0, 200));
        Assert.Equal(Errno.BadF, probe.Call("fd_fdstat_get", 128, 200));
        Assert.Equal(Errno.BadF, probe.Call("fd_prestat_get", 0, 200));   // stdin is not a preopen
        Assert.Equal(Errno.BadF, probe.Call("fd_prestat_get", 4, 200));   // past the last preopen
        Assert.Equal(Errno.BadF, probe.Call("fd_readdir", 7, 300, 100, 0L, 200));
        Assert.Equal(Errno.NotDir, probe.Call("fd_readdir", 1, 300, 100, 0L, 200));
        Assert.Equal(Errno.BadF, probe.Call("fd_renumber", 3, 9));
        Assert.Equal(Errno.BadF, probe.Call("fd_sync", 9));
        Assert.Equal(Errno.BadF, probe.Call("fd_filestat_set_size", 9, 0L));
        Assert.Equal(Errno.BadF, probe.Open(9, "x", out _));
        Assert.Equal(Errno.NotDir, probe.Open(1, "x", out _));
        Assert.Equal(Errno.Success, probe.Call("fd_close", 3));
        Assert.Equal(Errno.BadF, probe.Call("fd_close", 3));
        Assert.Equal(Errno.BadF, probe.Call("fd_prestat_get", 3, 200));
    }

    [Fact]
    public void Socket_calls_return_ENOTSOCK_for_open_descriptors_and_EBADF_for_closed_ones()
    {
        using var tmp = new MemoryFileSystem(1024);
        using var probe = new WasiProbe(new WasiOptions { Preopens = [("/tmp", tmp)] });
        foreach (var fd in new[] { 0, 1, 2, 3 })
        {
            Assert.Equal(Errno.NotSock, probe.Call("sock_accept", fd, 0, 100));
            Assert.Equal(Errno.NotSock, probe.Call("sock_recv", fd, 100, 1, 0, 200, 204));
            Assert.Equal(Errno.NotSock, probe.Call("sock_send", fd, 100, 1, 0, 200));
            Assert.Equal(Errno.NotSock, probe.Call("sock_shutdown", fd, 2));
        }

        foreach (var fd in new[] { 4, 9, -1, int.MaxValue })
        {
            Assert.Equal(Errno.BadF, probe.Call("sock_accept", fd, 0, 100));
            Assert.Equal(Errno.BadF, probe.Call("sock_recv", fd, 100, 1, 0, 200, 204));
            Assert.Equal(Errno.BadF, probe.Call("sock_send", fd, 100, 1, 0, 200));
            Assert.Equal(Errno.BadF, probe.Call("sock_shutdown", fd, 2));
        }
    }

    [Theory]
    [InlineData(9)] // a descriptor that is not open
    [InlineData(3)] // a preopened directory
    [InlineData(1)] // stdout
    public void Every_preview1_function_answers_with_an_errno_and_never_traps(int fd)
    {
        // The probe imports all 46 functions of wasi_snapshot_preview1.witx; each is called with the descriptor
        // under test and pointers past the end of memory. Only proc_exit leaves (by design); everything else returns.
        using var tmp = new MemoryFileSystem(1024);
        using var probe = new WasiProbe(new WasiOptions { Preopens = [("/tmp", tmp)] });
        var beyond = WasiProbe.MemorySize + 16;
        Assert.Equal(46, WasiProbe.Signatures.Length);
        foreach (var (name, parameters, returns) in WasiProbe.Signatures.Where(s => s.Name != "proc_exit"))
        {
            Assert.True(returns, name);
            var types = parameters.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var args = types.Select((t, i) => t == "i64" ? (ValueBox)0L : (ValueBox)(i == 0 ? fd : beyond)).ToArray();
            var errno = probe.Call(name, args);
            Assert.True(Enum.IsDefined(errno), $"{name}({fd}, …) returned {(int)errno}, not a WASI errno");
        }
    }

    [Fact]
    public void Calls_that_cannot_exist_return_an_errno()
    {
        using var probe = new WasiProbe(new WasiOptions());
        Assert.Equal(Errno.NoSys, probe.Call("proc_raise", 9));
        Assert.Equal(Errno.Success, probe.Call("sched_yield"));
        Assert.Equal(Errno.NotCapable, probe.Call("fd_fdstat_set_rights", 1, -1L, -1L));
        Assert.Equal(Errno.NotCapable, probe.Call("fd_filestat_set_times", 1, 0L, 0L, 2));
        Assert.Equal(Errno.BadF, probe.Call("fd_filestat_set_times", 7, 0L, 0L, 2));
    }

    [Fact]
    public void Links_symlinks_and_times_on_a_read_only_tree_are_EROFS()
    {
        var image = new ReadOnlyTestFileSystem([("f", "x")]);
        using var probe = new WasiProbe(new WasiOptions { Preopens = [("/data", image)] });
        var name = probe.WriteText(500, "link");
        var file = probe.WriteText(600, "f");
        Assert.Equal(Errno.RoFs, probe.Call("path_symlink", 600, file, 3, 500, name));
        Assert.Equal(Errno.RoFs, probe.Call("path_link", 3, 0, 600, file, 3, 500, name));
        Assert.Equal(Errno.BadF, probe.Call("path_link", 3, 0, 600, file, 8, 500, name));
        Assert.Equal(Errno.RoFs, probe.Call("fd_filestat_set_times", 3, 0L, 0L, 2));
        Assert.Equal(Errno.Inval, probe.Call("fd_filestat_set_times", 3, 0L, 0L, 3));
        Assert.Equal(Errno.RoFs, probe.Call("path_filestat_set_times", 3, 0, 600, file, 0L, 0L, 4));
        Assert.Equal(Errno.NoEnt, probe.Call("path_filestat_set_times", 3, 0, 500, name, 0L, 0L, 4));
        Assert.Equal(Errno.Inval, probe.Call("path_readlink", 3, 600, file, 700, 16, 720));
    }

    [Fact]
    public void Stdio_descriptors_report_their_kind_and_rights()
    {
        using var probe = new WasiProbe(new WasiOptions { Stdin = new byte[7] });
        Assert.Equal(Errno.Success, probe.Call("fd_fdstat_get", 0, 100));
        Assert.Equal(4, probe.U8(100)); // regular file
        var stdinRights = probe.U64(108);
        Assert.NotEqual(0UL, stdinRights & WasiRightsForTests.FdRead);
        Assert.NotEqual(0UL, stdinRights & WasiRightsForTests.FdSeek);
        Assert.Equal(0UL, stdinRights & WasiRightsForTests.FdWrite);
        Assert.Equal(Errno.Success, probe.Call("fd_fdstat_get", 1, 100));
        Assert.Equal(0, probe.U8(100)); // unknown: not a character device, so not a tty
        var stdoutRights = probe.U64(108);
        Assert.NotEqual(0UL, stdoutRights & WasiRightsForTests.FdWrite);
        Assert.Equal(0UL, stdoutRights & (WasiRightsForTests.FdSeek | WasiRightsForTests.FdTell | WasiRightsForTests.FdRead));
        Assert.Equal(Errno.Success, probe.Call("fd_filestat_get", 0, 200));
        Assert.Equal(4, probe.U8(216));
        Assert.Equal(7UL, probe.U64(232));
        Assert.Equal(1UL, probe.U64(224)); // nlink
    }

    [Fact]
    public void Stdin_reads_seeks_and_preads()
    {
        using var probe = new WasiProbe(new WasiOptions { Stdin = "0123456789"u8.ToArray() });
        Assert.Equal(Errno.Success, probe.ReadFd(0, 4, out var first));
        Assert.Equal("0123", Encoding.ASCII.GetString(first));
        Assert.Equal(Errno.Success, probe.Call("fd_tell", 0, 100));
        Assert.Equal(4UL, probe.U64(100));
        Assert.Equal(Errno.Success, probe.Call("fd_seek", 0, -2L, 2, 100));
        Assert.Equal(8UL, probe.U64(100));
        Assert.Equal(Errno.Success, probe.ReadFd(0, 100, out var rest));
        Assert.Equal("89", Encoding.ASCII.GetString(rest));
        Assert.Equal(Errno.Success, probe.ReadFd(0, 100, out var eof));
        Assert.Empty(eof);
        Assert.Equal(Errno.Inval, probe.Call("fd_seek", 0, -1L, 0, 100));
        Assert.Equal(Errno.Inval, probe.Call("fd_seek", 0, 0L, 3, 100));
        Assert.Equal(Errno.Inval, probe.Call("fd_seek", 0, long.MaxValue, 2, 100));
        Assert.Equal(Errno.Success, probe.Call("fd_seek", 0, 100L, 0, 100)); // past the end is allowed
        Assert.Equal(Errno.Success, probe.ReadFd(0, 100, out eof));
        Assert.Empty(eof);

        // Scatter read over two iovecs and pread at an offset (position unchanged).
        probe.WriteIovec(300, 1000, 3);
        probe.WriteIovec(308, 2000, 2);
        Assert.Equal(Errno.Success, probe.Call("fd_pread", 0, 300, 2, 1L, 400));
        Assert.Equal(5u, probe.U32(400));
        Assert.Equal("123", probe.ReadText(1000, 3));
        Assert.Equal("45", probe.ReadText(2000, 2));
        Assert.Equal(Errno.Success, probe.Call("fd_tell", 0, 100));
        Assert.Equal(100UL, probe.U64(100));
        Assert.Equal(Errno.Inval, probe.Call("fd_pread", 0, 300, 2, -1L, 400));
    }

    [Fact]
    public void Stdout_and_stderr_are_streams()
    {
        using var probe = new WasiProbe();
        probe.Write(1000, "hello "u8);
        probe.Write(2000, "world"u8);
        probe.WriteIovec(300, 1000, 6);
        probe.WriteIovec(308, 2000, 5);
        Assert.Equal(Errno.Success, probe.Call("fd_write", 1, 300, 2, 400));
        Assert.Equal(11u, probe.U32(400));
        Assert.Equal(Errno.Success, probe.Call("fd_write", 2, 308, 1, 400));
        Assert.Equal(Errno.Success, probe.Call("fd_write", 1, 300, 0, 400)); // zero iovecs
        Assert.Equal(0u, probe.U32(400));
        Assert.Equal("hello world", Encoding.UTF8.GetString(probe.Context.CopyStdout()));
        Assert.Equal("world", Encoding.UTF8.GetString(probe.Context.CopyStderr()));
        Assert.Equal(Errno.SPipe, probe.Call("fd_seek", 1, 0L, 1, 400));
        Assert.Equal(Errno.SPipe, probe.Call("fd_tell", 2, 400));
        Assert.Equal(Errno.SPipe, probe.Call("fd_pwrite", 1, 300, 1, 0L, 400));
        Assert.Equal(Errno.BadF, probe.Call("fd_read", 1, 300, 1, 400));
        Assert.Equal(Errno.BadF, probe.Call("fd_write", 0, 300, 1, 400));
        Assert.Equal(Errno.Inval, probe.Call("fd_sync", 1));
        Assert.Equal(Errno.Inval, probe.Call("fd_filestat_set_size", 1, 0L));
        Assert.Equal(Errno.SPipe, probe.Call("fd_allocate", 1, 0L, 1L));
        Assert.Equal(Errno.SPipe, probe.Call("fd_advise", 1, 0L, 0L, 0));
    }

    [Fact]
    public void Output_limit_accepts_a_partial_write_then_EFBIG()
    {
        using var probe = new WasiProbe(new WasiOptions { MaxStdoutBytes = 10 });
        Assert.Equal(Errno.Success, probe.WriteFd(1, new byte[7], out var written));
        Assert.Equal(7u, written);
        Assert.False(probe.Context.OutputTruncated);
        Assert.Equal(Errno.Success, probe.WriteFd(1, new byte[7], out written));
        Assert.Equal(3u, written);
        Assert.True(probe.Context.OutputTruncated);
        Assert.Equal(Errno.FBig, probe.WriteFd(1, new byte[1], out _));
        Assert.Equal(Errno.Success, probe.WriteFd(1, [], out written)); // writing nothing is still fine
        Assert.Equal(10, probe.Context.StdoutLength);
    }

    [Fact]
    public void Proc_exit_records_the_code_and_unwinds()
    {
        using var probe = new WasiProbe();
        var e = probe.CallTrapping("proc_exit", 42);
        Assert.Equal(42, Assert.IsType<WasiExitException>(e.InnerException).ExitCode);
        Assert.Equal(42, probe.Context.ExitCode);
    }

    [Fact]
    public void Random_get_fills_the_buffer_with_fresh_bytes()
    {
        using var probe = new WasiProbe();
        Assert.Equal(Errno.Success, probe.Call("random_get", 1000, 0));
        Assert.Equal(Errno.Success, probe.Call("random_get", 1000, 64));
        Assert.Equal(Errno.Success, probe.Call("random_get", 2000, 64));
        var a = probe.Read(1000, 64);
        var b = probe.Read(2000, 64);
        Assert.NotEqual(a, b);
        Assert.NotEqual(new byte[64], a);
        Assert.Equal(Errno.Success, probe.Call("random_get", 0, WasiProbe.MemorySize)); // the whole memory
    }

    [Fact]
    public void Renumber_moves_a_descriptor_over_another()
    {
        using var tmp = new MemoryFileSystem(1024);
        using var probe = new WasiProbe(new WasiOptions { Preopens = [("/tmp", tmp)] });
        Assert.Equal(Errno.Success, probe.Open(3, "out.txt", out var fd, oflags: 1, rights: (long)(WasiRightsForTests.FdWrite | WasiRightsForTests.FdRead)));
        Assert.Equal(4, fd);
        Assert.Equal(Errno.Success, probe.Call("fd_renumber", 4, 1));
        Assert.Equal(Errno.BadF, probe.Call("fd_close", 4));
        Assert.Equal(Errno.Success, probe.WriteFd(1, "to the file"u8, out _));
        Assert.Equal(0, probe.Context.StdoutLength);
        Assert.Equal(Errno.Success, tmp.Stat("out.txt", out var info));
        Assert.Equal(11, info.Size);
        Assert.Equal(Errno.Success, probe.Call("fd_renumber", 1, 1));
    }

    [Fact]
    public void Descriptor_table_limit_is_EMFILE_and_numbers_are_reused()
    {
        using var tmp = new MemoryFileSystem(1024);
        using var probe = new WasiProbe(new WasiOptions { Preopens = [("/tmp", tmp)], MaxOpenFiles = 6 });
        Assert.Equal(Errno.Success, probe.Open(3, "a", out var a, oflags: 1));
        Assert.Equal(Errno.Success, probe.Open(3, "a", out var b));
        Assert.Equal((4, 5), (a, b));
        Assert.Equal(Errno.MFile, probe.Open(3, "a", out _));
        Assert.Equal(Errno.Success, probe.Call("fd_close", 4));
        Assert.Equal(Errno.Success, probe.Open(3, "a", out var c));
        Assert.Equal(4, c);
        Assert.Throws<ArgumentOutOfRangeException>(() => new WasiContext(new WasiOptions { Preopens = [("/tmp", tmp)], MaxOpenFiles = 3 }));
    }

    [Fact]
    public void Fdstat_set_flags_changes_append_and_nonblock_only()
    {
        using var tmp = new MemoryFileSystem(1024);
        using var probe = new WasiProbe(new WasiOptions { Preopens = [("/tmp", tmp)] });
        const long ReadWrite = (long)(WasiRightsForTests.FdRead | WasiRightsForTests.FdWrite);
        Assert.Equal(Errno.Success, probe.Open(3, "f", out var fd, oflags: 1, rights: ReadWrite));
        Assert.Equal(Errno.Success, probe.WriteFd(fd, "abc"u8, out _));
        Assert.Equal(Errno.Success, probe.Call("fd_seek", fd, 0L, 0, 100));
        Assert.Equal(Errno.Success, probe.Call("fd_fdstat_set_flags", fd, 1 | 4)); // APPEND | NONBLOCK
        Assert.Equal(Errno.Success, probe.WriteFd(fd, "de"u8, out _));          // appends despite offset 0
        Assert.Equal(Errno.Success, probe.Call("fd_fdstat_get", fd, 100));
        Assert.Equal(5, probe.U16(102));
        Assert.Equal(Errno.NotSup, probe.Call("fd_fdstat_set_flags", fd, 2));   // DSYNC cannot be changed
        Assert.Equal(Errno.Inval, probe.Call("fd_fdstat_set_flags", fd, 32));   // no such flag
        Assert.Equal(Errno.Inval, probe.Call("fd_fdstat_set_flags", 0, 1));    // APPEND on stdin
        Assert.Equal(Errno.Success, probe.Call("fd_fdstat_set_flags", 0, 4));   // NONBLOCK on stdin
        Assert.Equal(Errno.Success, probe.Call("fd_fdstat_set_flags", fd, 0));
        Assert.Equal(Errno.Success, probe.Call("fd_seek", fd, 0L, 0, 100));
        Assert.Equal(Errno.Success, probe.WriteFd(fd, "X"u8, out _));
        Assert.Equal(Errno.Success, probe.Call("fd_seek", fd, 0L, 0, 100));
        Assert.Equal(Errno.Success, probe.ReadFd(fd, 100, out var data));
        Assert.Equal("Xbcde", Encoding.ASCII.GetString(data));

        // Opened with DSYNC: setting it again (as fcntl F_GETFL/F_SETFL does) is fine, clearing it is not.
        Assert.Equal(Errno.Success, probe.Open(3, "g", out var synced, oflags: 1, rights: ReadWrite, fdflags: 2));
        Assert.Equal(Errno.Success, probe.Call("fd_fdstat_set_flags", synced, 2 | 1));
        Assert.Equal(Errno.NotSup, probe.Call("fd_fdstat_set_flags", synced, 1));
    }

    [Fact]
    public void Rights_can_only_shrink_and_access_mode_is_enforced()
    {
        using var tmp = new MemoryFileSystem(1024);
        using var probe = new WasiProbe(new WasiOptions { Preopens = [("/tmp", tmp)] });
        Assert.Equal(Errno.Success, probe.Open(3, "f", out var fd, oflags: 1, rights: (long)(WasiRightsForTests.FdRead | WasiRightsForTests.FdWrite)));
        Assert.Equal(Errno.Success, probe.Call("fd_fdstat_get", fd, 100));
        var rights = probe.U64(108);
        Assert.NotEqual(0UL, rights & WasiRightsForTests.FdWrite);
        Assert.Equal(Errno.Success, probe.Call("fd_fdstat_set_rights", fd, (long)(rights & ~WasiRightsForTests.FdWrite), 0L));
        Assert.Equal(Errno.BadF, probe.WriteFd(fd, "x"u8, out _));
        Assert.Equal(Errno.NotCapable, probe.Call("fd_fdstat_set_rights", fd, (long)rights, 0L));

        // Read-only open: writing is EBADF; write-only open: reading is EBADF.
        Assert.Equal(Errno.Success, probe.Open(3, "f", out var ro));
        Assert.Equal(Errno.BadF, probe.WriteFd(ro, "x"u8, out _));
        Assert.Equal(Errno.Success, probe.Open(3, "f", out var wo, rights: (long)WasiRightsForTests.FdWrite));
        Assert.Equal(Errno.BadF, probe.ReadFd(wo, 1, out _));
        Assert.Equal(Errno.Success, probe.Call("fd_fdstat_get", wo, 100));
        Assert.Equal(0UL, probe.U64(108) & WasiRightsForTests.FdRead);

        // A directory whose inheriting rights lost write access cannot open files for writing.
        Assert.Equal(Errno.Success, probe.Call("fd_fdstat_get", 3, 100));
        Assert.Equal(Errno.Success, probe.Call("fd_fdstat_set_rights", 3, (long)probe.U64(108), (long)(probe.U64(116) & ~WasiRightsForTests.FdWrite)));
        Assert.Equal(Errno.NotCapable, probe.Open(3, "f", out _, rights: (long)WasiRightsForTests.FdWrite));
        Assert.Equal(Errno.Success, probe.Open(3, "f", out _));
    }
}

/// <summary>Store data that is not a context but carries one.</summary>
[SupportedOSPlatform("linux")]
file sealed class Host(WasiContext context) : IWasiHost
{
    public WasiContext Wasi => context;
}
