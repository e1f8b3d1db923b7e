using System.Globalization;
using System.Text.RegularExpressions;

namespace Carapace.Cli.Tests.Bench;

/// <summary><c>bench invoke</c> against the embedded platform it starts: the baseline beside the platform's modes, and the <c>--breakdown</c> table. Shapes only, never timings.</summary>
public sealed partial class BenchInvokeTests : CliFixture
{
    private static readonly string s_examples = Path.Combine(RepoPaths.Root, "examples", "out");

    [Fact]
    public async Task Bench_invoke_measures_the_baseline_in_the_same_run_and_breaks_an_invocation_into_its_stages()
    {
        var result = await Run(null, "bench", "invoke", "--examples", s_examples, "--n", "10", "--concurrency", "1", "--cold", "1", "--breakdown");

        Assert.True(result.ExitCode == 0, result.Stderr);
        var lines = result.StdoutText.TrimEnd().Split('\n');
        // One row per mode, the baseline among them.
        foreach (var mode in new[] { "confidential", "plaintext", "baseline" })
        {
            Assert.Contains(lines, l => ModeRow().Match(l) is { Success: true } m && m.Groups[1].Value == mode);
        }

        // The breakdown: a header, then one row per stage in invocation order, nested by indentation.
        var header = Array.FindIndex(lines, l => l.StartsWith("stages of a warm confidential invocation (10 one at a time", StringComparison.Ordinal));
        Assert.True(header >= 0, result.StdoutText);
        var rows = lines.Skip(header + 2).TakeWhile(l => StageRow().IsMatch(l)).Select(l => StageRow().Match(l)).ToList();
        var stages = rows.Select(r => r.Groups[2].Value).ToList();
        string[] expected =
        [
            "client round trip", "client and network", "carapace.gateway.request", "carapace.gateway.auth", "carapace.gateway.invoke",
            "carapace.gateway.parse", "carapace.controller.admission", "carapace.controller.record", "carapace.controller.step",
            "carapace.worker.invoke", "carapace.worker.schedule", "carapace.worker.lane", "lane transport", "carapace.worker.enclave",
            "carapace.worker.enclave.open", "carapace.worker.enclave.run", "carapace.worker.enclave.seal", "carapace.worker.enclave.receipt",
            "carapace.controller.finish", "carapace.gateway.respond",
        ];
        Assert.Equal(expected, stages);
        Assert.Equal(0, rows[0].Groups[1].Length);
        Assert.True(rows[stages.IndexOf("carapace.worker.enclave.run")].Groups[1].Length > rows[stages.IndexOf("carapace.worker.lane")].Groups[1].Length);
        Assert.All(rows, r => Assert.True(double.Parse(r.Groups[3].Value, CultureInfo.InvariantCulture) >= 0, r.Value));

        // A confidential JavaScript action, trivial and CPU-bound, and the same functions under Node.js (when installed).
        Assert.Contains(lines, l => l.StartsWith("JavaScript (confidential nodejs:default) trivial p50: ", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("the same under Node.js", StringComparison.Ordinal));

        // The last lines: the plaintext ratio, then the price of confidentiality against the baseline.
        Assert.Matches(PlaintextRatio(), lines[^2]);
        var last = BaselineRatio().Match(lines[^1]);
        Assert.True(last.Success, lines[^1]);
        Assert.InRange(double.Parse(last.Groups[1].Value, CultureInfo.InvariantCulture), 0.01, 1000);
    }

    [Fact]
    public async Task Bench_invoke_breakdown_refuses_a_platform_it_cannot_see_into()
    {
        var result = await Run(null, "bench", "invoke", "--breakdown", "--data-dir", "/nonexistent/carapace");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--breakdown collects the platform's spans in this process", result.Stderr, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"^(confidential|plaintext|baseline)\s+1\s+10\s+\d+\.\d\d\s+\d+\.\d\d\s+\d+$")]
    private static partial Regex ModeRow();

    [GeneratedRegex(@"^( *)(\S.*?)\s+(\d+\.\d{3})\s+-?\d+\.\d%$")]
    private static partial Regex StageRow();

    [GeneratedRegex(@"^confidential/plaintext p50 ratio at 1 client\(s\): \d+\.\d\d$")]
    private static partial Regex PlaintextRatio();

    [GeneratedRegex(@"^confidential/baseline p50 ratio at 1 client\(s\): (\d+\.\d\d)$")]
    private static partial Regex BaselineRatio();
}
