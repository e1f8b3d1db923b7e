namespace Carapace.Cli.Tests.Bench;

/// <summary><c>bench runtime --only js</c>: the JavaScript section runs through the real JavaScript enclave (and Node.js when installed) and prints its rows. Shapes only, never timings.</summary>
public sealed class BenchRuntimeJavaScriptTests : CliFixture
{
    [Fact]
    public async Task Bench_runtime_js_prints_the_enclave_start_the_warm_and_cpu_bound_runs_and_the_load()
    {
        var result = await Run(null, "bench", "runtime", "--only", "js", "--examples", Path.Combine(RepoPaths.Root, "examples", "out"), "--n", "10");

        Assert.True(result.ExitCode == 0, result.Stderr);
        var lines = result.StdoutText.TrimEnd().Split('\n');
        string[] rows =
        [
            "load average (1, 5, 15 min) before the JavaScript section", "JavaScript enclave cold start (spawn → ready), p50",
            "JavaScript idle stem cell, resident memory", "JavaScript trivial invocation through the worker, p50 / p99",
            "JavaScript hash-like sum loop of 1,000,000 through the worker, p50",
        ];
        foreach (var row in rows)
        {
            Assert.Single(lines, l => l.StartsWith(row + " ", StringComparison.Ordinal));
        }

        // Node.js is compared when the machine has it (test.sh's machines do), and said to be missing otherwise.
        Assert.Contains(lines, l => File.Exists("/usr/bin/node")
            ? l.StartsWith("ratio enclave run/Node.js, sum loop ", StringComparison.Ordinal)
            : l.Contains("not measured (/usr/bin/node is missing)", StringComparison.Ordinal));
    }
}
