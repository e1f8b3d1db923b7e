using System.Runtime.Versioning;
using System.Text;
using Carapace.Enclave.FileSystem;
using Carapace.Enclave.FileSystem.Memory;
using Carapace.Enclave.Tests.Wasi.Support;
using Carapace.Enclave.Wasi;
using Xunit;

namespace Carapace.Enclave.Tests.Wasi;

/// <summary>The context's own contract: options, output access, and zeroing on dispose.</summary>
[SupportedOSPlatform("linux")]
public sealed class WasiContextTests
{
    [Fact]
    public void Dispose_zeroes_stdout_and_stderr_including_buffers_replaced_while_growing()
    {
        var probe = new WasiProbe(new WasiOptions { Args = ["secret-arg"], Environment = [new("SECRET", "value")] });
        var retired = new List<byte[]>();
        probe.Context.StdoutBuffer.Retired = retired.Add;
        probe.Context.StderrBuffer.Retired = retired.Add;
        var chunk = Enumerable.Repeat((byte)0xA5, 3000).ToArray();
        for (var i = 0; i < 12; i++)
        {
            Assert.Equal(Errno.Success, probe.WriteFd(1, chunk, out _));
            Assert.Equal(Errno.Success, probe.WriteFd(2, chunk, out _));
        }

        Assert.Equal(36_000, probe.Context.StdoutLength);
        Assert.All(probe.Context.CopyStdout(), b => Assert.Equal(0xA5, b));
        Assert.True(retired.Count >= 6, $"only {retired.Count} buffers were replaced");
        Assert.All(retired, buffer => Assert.All(buffer, b => Assert.Equal(0, b)));

        var stdout = probe.Context.StdoutBuffer.Array;
        var stderr = probe.Context.StderrBuffer.Array;
        var args = probe.Context.ArgumentBuffer;
        var env = probe.Context.EnvironmentBuffer;
        Assert.Contains((byte)0xA5, stdout);
        Assert.Contains("secret-arg", Encoding.UTF8.GetString(args), StringComparison.Ordinal);
        Assert.Contains("SECRET=value", Encoding.UTF8.GetString(env), StringComparison.Ordinal);

        probe.Dispose();

        Assert.All(stdout, b => Assert.Equal(0, b));
        Assert.All(stderr, b => Assert.Equal(0, b));
        Assert.All(args, b => Assert.Equal(0, b));
        Assert.All(env, b => Assert.Equal(0, b));
        Assert.Equal(0, probe.Context.StdoutLength);
        Assert.Throws<ObjectDisposedException>(() => probe.Context.CopyStdout());
        probe.Context.Dispose(); // twice is fine
    }

    [Fact]
    public void Dispose_closes_open_files()
    {
        using var tmp = new MemoryFileSystem(1024);
        var probe = new WasiProbe(new WasiOptions { Preopens = [("/tmp", tmp)] });
        Assert.Equal(Errno.Success, probe.Open(3, "f", out var fd, oflags: 1, rights: (long)WasiRightsForTests.FdWrite));
        Assert.Equal(Errno.Success, probe.WriteFd(fd, "data"u8, out _));
        Assert.Equal(Errno.Success, tmp.Unlink("f"));
        Assert.Equal(4, tmp.UsedBytes); // still open
        var buffers = tmp.FileBuffers();
        probe.Dispose();
        Assert.Equal(0, tmp.UsedBytes);
        Assert.All(buffers, buffer => Assert.All(buffer, b => Assert.Equal(0, b)));
    }

    [Fact]
    public void Output_can_be_copied_into_a_caller_buffer()
    {
        using var probe = new WasiProbe();
        Assert.Equal(Errno.Success, probe.WriteFd(1, "12345"u8, out _));
        var exact = new byte[5];
        Assert.Equal(5, probe.Context.CopyStdoutTo(exact));
        Assert.Equal("12345"u8.ToArray(), exact);
        Assert.Equal(5, probe.Context.CopyStdoutTo(new byte[10]));
        Assert.Throws<ArgumentException>(() => probe.Context.CopyStdoutTo(new byte[4]));
        Assert.Equal(0, probe.Context.CopyStderrTo([]));
        Assert.Empty(probe.Context.CopyStderr());
    }

    [Fact]
    public void Malformed_options_are_refused()
    {
        Assert.Throws<ArgumentException>(() => new WasiContext(new WasiOptions { Args = ["a\0b"] }));
        Assert.Throws<ArgumentException>(() => new WasiContext(new WasiOptions { Environment = [new("A=B", "c")] }));
        Assert.Throws<ArgumentException>(() => new WasiContext(new WasiOptions { Environment = [new("", "c")] }));
        Assert.Throws<ArgumentException>(() => new WasiContext(new WasiOptions { Environment = [new("A", "c\0")] }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new WasiContext(new WasiOptions { MaxStdoutBytes = -1 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new WasiContext(new WasiOptions { Clock = new WasiClockOptions { ResolutionNanoseconds = 0 } }));
        using var tmp = new MemoryFileSystem(0);
        Assert.Throws<ArgumentException>(() => new WasiContext(new WasiOptions { Preopens = [("", tmp)] }));
    }

    [Fact]
    public void The_same_file_system_under_two_names_is_one_device()
    {
        using var tmp = new MemoryFileSystem(1024);
        var data = new ReadOnlyTestFileSystem([("x", "y")]);
        using var probe = new WasiProbe(new WasiOptions { Preopens = [("/a", tmp), ("/b", data), ("/c", tmp)] });
        ulong Device(int fd)
        {
            Assert.Equal(Errno.Success, probe.Call("fd_filestat_get", fd, 100));
            return probe.U64(100);
        }

        Assert.Equal(1UL, Device(3));
        Assert.Equal(2UL, Device(4));
        Assert.Equal(1UL, Device(5));

        // Renaming across the two names of one file system works; across file systems it is EXDEV.
        Assert.Equal(Errno.Success, tmp.Open("f", OpenFlags.Create, out var h));
        h!.Dispose();
        var from = probe.WriteText(1000, "f");
        var to = probe.WriteText(2000, "g");
        Assert.Equal(Errno.Success, probe.Call("path_rename", 3, 1000, from, 5, 2000, to));
        Assert.Equal(Errno.XDev, probe.Call("path_rename", 5, 2000, to, 4, 1000, from));
    }
}
