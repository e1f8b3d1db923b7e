using System.Diagnostics;
using System.Runtime.Versioning;
using System.Text;
using Carapace.Enclave.FileSystem.Memory;
using Carapace.Enclave.Tests.Wasi.Support;
using Carapace.Enclave.Wasi;
using Xunit;

namespace Carapace.Enclave.Tests.Wasi;

/// <summary>Unmodified C programs (wasi-libc) run against Carapace's WASI.</summary>
[SupportedOSPlatform("linux")]
public sealed class WasiProgramTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(1 << 20)]
    public void Echo_copies_stdin_to_stdout(int size)
    {
        var payload = new byte[size];
        new Random(size).NextBytes(payload);
        using var run = WasiHarness.Run("echo", new WasiOptions { Stdin = payload });
        Assert.Null(run.Trap);
        Assert.Equal(0, run.ExitCode);
        Assert.Null(run.Context.ExitCode);
        Assert.Equal(payload, run.Context.CopyStdout());
        Assert.Equal(0, run.Context.StderrLength);
        Assert.False(run.Context.OutputTruncated);
    }

    [Fact]
    public void Stderr_is_collected_separately()
    {
        using var run = WasiHarness.Run("echo", new WasiOptions { Stdin = "abc"u8.ToArray() }, "stderr");
        Assert.Equal("abc", run.Stdout);
        Assert.Equal("echoed 3 bytes\n", run.Stderr);
        var copy = new byte[run.Context.StderrLength];
        Assert.Equal(copy.Length, run.Context.CopyStderrTo(copy));
        Assert.Equal("echoed 3 bytes\n", Encoding.UTF8.GetString(copy));
    }

    [Fact]
    public void Args_and_environment_are_exactly_what_was_given()
    {
        var options = new WasiOptions
        {
            Environment = [new("B", "2"), new("A", "1=one"), new("EMPTY", ""), new("UNICODE", "grüße ✓")],
        };
        using var run = WasiHarness.Run("args", options, "first", "", "with space", "ünï");
        Assert.Equal(
            "argc=5\nargv[0]=args\nargv[1]=first\nargv[2]=\nargv[3]=with space\nargv[4]=ünï\n" +
            "env=B=2\nenv=A=1=one\nenv=EMPTY=\nenv=UNICODE=grüße ✓\n",
            run.Stdout);
    }

    [Fact]
    public void No_args_and_no_environment()
    {
        using var run = WasiHarness.Run(WasiHarness.Program("args"), new WasiOptions());
        Assert.Equal("argc=0\n", run.Stdout);
    }

    [Theory]
    [InlineData("exit", 3, 3)]
    [InlineData("exit", 0, 0)]
    [InlineData("exit", 255, 255)]
    [InlineData("return", 5, 5)]
    public void Exit_codes_are_recorded(string how, int code, int expected)
    {
        using var run = WasiHarness.Run("exit", how, code.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Null(run.Trap);
        Assert.Equal(expected, run.Context.ExitCode);
        Assert.Equal("before\n", run.Stdout); // stdio was flushed by exit
    }

    [Fact]
    public void Returning_zero_from_main_does_not_call_proc_exit()
    {
        using var run = WasiHarness.Run("exit", "return", "0");
        Assert.Null(run.Trap);
        Assert.Null(run.Context.ExitCode);
    }

    [Fact]
    public void A_trap_is_not_an_exit()
    {
        using var run = WasiHarness.Run("exit", "trap");
        Assert.NotNull(run.Trap);
        Assert.Null(run.Context.ExitCode);
        Assert.Equal("before\n", run.Stdout);
    }

    [Fact]
    public void Stdout_limit_cuts_output_and_the_guest_sees_EFBIG()
    {
        using var run = WasiHarness.Run("flood", new WasiOptions { MaxStdoutBytes = 2500 }, "10000");
        Assert.Equal(1, run.ExitCode);
        Assert.Equal(2500, run.Context.StdoutLength);
        Assert.Equal(new string('y', 2500), run.Stdout);
        Assert.True(run.Context.OutputTruncated);
        Assert.True(run.Context.StdoutTruncated);
        Assert.False(run.Context.StderrTruncated);
        Assert.Equal("write failed after 2500 bytes: EFBIG\n", run.Stderr);
    }

    [Fact]
    public void Stdout_exactly_at_the_limit_is_not_truncated()
    {
        using var run = WasiHarness.Run("flood", new WasiOptions { MaxStdoutBytes = 3000 }, "3000");
        Assert.Equal(0, run.ExitCode);
        Assert.Equal(3000, run.Context.StdoutLength);
        Assert.False(run.Context.OutputTruncated);
    }

    [Fact]
    public void Stderr_limit_applies_too()
    {
        using var run = WasiHarness.Run("flood", new WasiOptions { MaxStderrBytes = 10 }, "5");
        Assert.Equal("wrote 5\n", run.Stderr);
        using var cut = WasiHarness.Run("flood", new WasiOptions { MaxStderrBytes = 4 }, "5");
        Assert.Equal("wrot", cut.Stderr);
        Assert.True(cut.Context.OutputTruncated);
        Assert.True(cut.Context.StderrTruncated);
        Assert.False(cut.Context.StdoutTruncated);
    }

    [Fact]
    public void Standard_descriptors_are_not_terminals_and_stdin_is_a_seekable_file()
    {
        using var run = WasiHarness.Run("stdio", new WasiOptions { Stdin = "0123456789"u8.ToArray() });
        Assert.Equal(
            "isatty: 0 0 0\n" +
            "fstat 0: OK\n" +
            "stdin regular=1 size=10\n" +
            "stdin mode=rdonly\n" +
            "stdout mode=wronly\n" +
            "lseek 0 end=10\n" +
            "lseek 0 set=0\n" +
            "reread same=1 (3 3)\n" +
            "lseek 1: ESPIPE\n" +
            "write 0: EBADF\n" +
            "read 1: EBADF\n" +
            "fsync 1: EINVAL\n",
            run.Stdout);
    }

    [Fact]
    public void Tmp_supports_files_directories_rename_unlink_and_listing()
    {
        using var tmp = new MemoryFileSystem(1 << 20);
        using var run = WasiHarness.Run("tmpfs", new WasiOptions { Preopens = [("/tmp", tmp)] });
        Assert.Null(run.Trap);
        Assert.Equal(
            """
            fopen w: OK
            fclose: OK
            read: hello world
            tell=6
            read at 6: world
            stat: OK
            size=18 regular=1
            open rdwr: OK
            pwrite=5
            end=18
            ftruncate: OK
            size after truncate=5
            read=5 'HELLO'
            mkdir d: OK
            mkdir d again: EEXIST
            rename a -> d/c: OK
            stat a: ENOENT
            list /tmp: ../ ./ d/
            list /tmp/d: ../ ./ b.txt c.txt
            rename d/b over d/c: OK
            c now: b
            mkdir e: OK
            rename e -> d (non-empty): ENOTEMPTY
            rename d -> d/sub: EINVAL
            rmdir d (non-empty): ENOTEMPTY
            unlink d: EISDIR
            rmdir d/c.txt: ENOTDIR
            unlink d/c.txt: OK
            rmdir d: OK
            rename e -> f: OK
            list /tmp: ../ ./ f/
            rmdir f: OK
            stat /tmp: OK
            tmp dir=1
            open /tmp for write: EISDIR
            creat excl: OK
            creat excl again: EEXIST
            stat x/: ENOTDIR
            open missing: ENOENT
            open x/y: ENOTDIR
            unlink open x: OK
            read after unlink=4 'keep'
            mkdir many: OK
            many: count=300 dots=2 sum=44850
            done

            """,
            run.Stdout);

        // The host sees the same tree; the unlinked-but-open file is gone now that it was closed.
        Assert.Equal(Errno.Success, tmp.List("", out var root));
        Assert.Equal(["many"], root.Select(e => e.Name));
        Assert.Equal(300, tmp.NodeCount - 1);
        Assert.Equal(0, tmp.UsedBytes);
    }

    [Fact]
    public void Tmp_size_limit_gives_ENOSPC_to_the_guest()
    {
        using var tmp = new MemoryFileSystem((3 * 65536) + 2); // three chunks fit, then only two bytes
        using var run = WasiHarness.Run("fill", new WasiOptions { Preopens = [("/tmp", tmp)] });
        Assert.Equal(
            "stopped at 196608: ENOSPC\n" +
            "stdio: fputs=OK fclose=ENOSPC\n" +
            "ftruncate 0: OK\n" +
            "write at the old offset: ENOSPC\n" +
            "rewind: OK\n" +
            "write after truncate: OK\n",
            run.Stdout);
        Assert.Equal(100, tmp.UsedBytes);
    }

    [Fact]
    public void Read_only_file_system_refuses_every_modification_and_integrity_failures_are_EIO()
    {
        var data = new ReadOnlyTestFileSystem(
            [("hello.txt", "hi from data\n"), ("bad.bin", "secret"), ("dir/inner.txt", "x")],
            directories: ["dir"],
            tampered: ["bad.bin"]);
        using var tmp = new MemoryFileSystem(1 << 16);
        using var run = WasiHarness.Run("readonly", new WasiOptions { Preopens = [("/data", data), ("/tmp", tmp)] });
        Assert.Equal(
            """
            hello: hi from data
            open wronly: EROFS
            open rdwr: EROFS
            open trunc: EROFS
            create: EROFS
            create rdonly: EROFS
            open existing with O_CREAT: OK
            fopen w: EROFS
            fopen a: EROFS
            mkdir: EROFS
            mkdir existing: EEXIST
            unlink: EROFS
            unlink missing: ENOENT
            rmdir: EROFS
            rename: EROFS
            rename to /tmp: EXDEV
            list: . .. bad.bin dir hello.txt
            open bad: OK
            read bad: EIO

            """,
            run.Stdout);
        Assert.NotNull(run.Context.IntegrityViolation);
        Assert.Contains("bad.bin", run.Context.IntegrityViolation, StringComparison.Ordinal);
        Assert.DoesNotContain("secret", run.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Paths_cannot_escape_the_preopened_directories()
    {
        using var tmp = new MemoryFileSystem(1 << 16);
        using var run = WasiHarness.Run("escape", new WasiOptions { Preopens = [("/tmp", tmp)] });
        Assert.Equal(
            """
            open /etc/passwd: ENOTCAPABLE
            open /tmp/../etc/passwd: ENOTCAPABLE
            open /tmp/../../etc/passwd: ENOTCAPABLE
            mkdir /tmp/sub: OK
            open /tmp/sub: OK
            openat(sub, ../x): ENOTCAPABLE
            openat(sub, .): OK
            openat(sub, /etc): ENOTCAPABLE
            symlink: ENOTCAPABLE
            link: EPERM
            readlink file: EINVAL
            readlink missing: ENOENT
            path_open(3, ".."): ENOTCAPABLE
            path_open(3, "../x"): ENOTCAPABLE
            path_open(3, "/etc/passwd"): ENOTCAPABLE
            path_open(3, "sub/../../x"): ENOTCAPABLE
            path_open(3, "./sub/./../.."): ENOTCAPABLE
            path_open(3, "sub/.."): OK
            path_open(3, ""): ENOENT

            """,
            run.Stdout);
    }

    [Fact]
    public void Sleep_ends_early_when_the_deadline_fires()
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        var watch = Stopwatch.StartNew();
        using var run = WasiHarness.Run("sleep", new WasiOptions { Deadline = deadline.Token }, "30000");
        watch.Stop();
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"took {watch.Elapsed}");
        Assert.StartsWith("rc=0 took_ms=", run.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Sleep_sleeps_without_a_deadline()
    {
        var watch = Stopwatch.StartNew();
        using var run = WasiHarness.Run("sleep", "50");
        Assert.True(watch.Elapsed >= TimeSpan.FromMilliseconds(50), $"took {watch.Elapsed}");
        var took = int.Parse(run.Stdout.Split("took_ms=")[1], System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(took, 50, 5000);
    }

    [Fact]
    public void Random_bytes_differ_between_calls()
    {
        using var a = WasiHarness.Run("random");
        using var b = WasiHarness.Run("random");
        Assert.Matches("^[0-9a-f]{64}\n$", a.Stdout);
        Assert.NotEqual(a.Stdout, b.Stdout);
    }
}
