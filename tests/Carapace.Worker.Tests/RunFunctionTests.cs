using System.Security.Cryptography;
using System.Text;
using Carapace.Functions;
using Carapace.Protocol;

namespace Carapace.Worker.Tests;

public sealed class RunFunctionTests : IDisposable
{
    private readonly WorkerHarness _h = new();

    public void Dispose() => _h.Dispose();

    [Fact]
    public async Task Hello_upper_cases_its_input_inside_the_enclave()
    {
        var run = await _h.RunOnceAsync("hello", Encoding.UTF8.GetBytes("confidential hello"));

        Assert.Equal(InvocationStatus.Completed, run.Result.Status);
        Assert.Equal(0, run.Result.ExitCode);
        Assert.Equal("CONFIDENTIAL HELLO", run.OutputText);
        Assert.True(run.Result.Receipt.IsEmpty, "a directly provisioned enclave signs no receipts");
    }

    [Fact]
    public async Task Wordcount_counts()
    {
        var run = await _h.RunOnceAsync("wordcount", Encoding.UTF8.GetBytes("one two\nthree\n"));

        Assert.Equal("2 3 14\n", run.OutputText);
    }

    [Fact]
    public async Task Sha256_of_a_mebibyte_matches()
    {
        var input = RandomNumberGenerator.GetBytes(1 << 20);

        var run = await _h.RunOnceAsync("sha256", input);

        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(input)) + "\n", run.OutputText);
    }

    [Fact]
    public async Task The_rust_example_runs()
    {
        var run = await _h.RunOnceAsync("hello_rust", Encoding.UTF8.GetBytes("a\nb\nc\n"));

        Assert.Equal("c\nb\na\n", run.OutputText);
    }

    [Fact]
    public async Task Args_and_env_are_exactly_what_the_manifest_grants()
    {
        var manifest = new FunctionManifest { Name = "args", Arguments = ["x", "y z"], Environment = [new("GREETING", "hi")] };

        var run = await _h.RunOnceAsync("args", [], manifest);

        Assert.Contains("argv[1]=x", run.OutputText, StringComparison.Ordinal);
        Assert.Contains("argv[2]=y z", run.OutputText, StringComparison.Ordinal);
        Assert.Contains("env=GREETING=hi", run.OutputText, StringComparison.Ordinal);
        Assert.DoesNotContain("PATH=", run.OutputText, StringComparison.Ordinal);
        Assert.DoesNotContain("HOME=", run.OutputText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_escape_attempt_is_denied()
    {
        var run = await _h.RunOnceAsync("escape", []);

        Assert.True(run.Result.ExitCode == 0, run.OutputText);
        Assert.DoesNotContain("ALLOWED", run.OutputText, StringComparison.Ordinal);
        Assert.Contains("denied", run.OutputText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_spinning_function_times_out_with_a_typed_error()
    {
        var run = await _h.RunOnceAsync("spin", [], new FunctionManifest { Name = "spin", TimeoutMilliseconds = 1000 });

        Assert.Equal(InvocationStatus.Timeout, run.Result.Status);
        Assert.Equal("timeout after 1.0 s", run.Result.Message);
        Assert.InRange(run.Result.Usage.WallMicroseconds, 900_000, 5_000_000);
    }

    [Fact]
    public async Task A_memory_hog_hits_the_memory_limit()
    {
        var run = await _h.RunOnceAsync("memhog", [], new FunctionManifest { Name = "memhog", MemoryBytes = 16L << 20 });

        Assert.Equal(InvocationStatus.MemoryLimit, run.Result.Status);
        Assert.Equal("memory limit exceeded (16 MiB)", run.Result.Message);
    }

    [Fact]
    public async Task Fuel_runs_out_for_a_spinning_function()
    {
        var run = await _h.RunOnceAsync("spin", [], new FunctionManifest { Name = "spin", Fuel = 1_000_000 });

        Assert.Equal(InvocationStatus.FuelExhausted, run.Result.Status);
        Assert.Equal(1_000_000, run.Result.Usage.Fuel);
    }

    [Fact]
    public async Task The_function_log_is_sealed_for_the_client()
    {
        var run = await _h.RunOnceAsync("readfile", [], new FunctionManifest { Name = "readfile", Arguments = ["/nope/file.txt"] });

        Assert.Equal(1, run.Result.ExitCode);
        Assert.Contains("/nope/file.txt", run.Log, StringComparison.Ordinal);
        Assert.DoesNotContain("/nope/file.txt", run.Result.Message, StringComparison.Ordinal);
    }
}
