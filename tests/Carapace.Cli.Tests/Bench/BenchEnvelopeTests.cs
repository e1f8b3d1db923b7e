using System.Globalization;
using System.Text.RegularExpressions;

namespace Carapace.Cli.Tests.Bench;

public sealed partial class BenchEnvelopeTests : CliFixture
{
    [Fact]
    public async Task Bench_envelope_prints_a_table_and_ends_with_the_seal_ratio()
    {
        var result = await Run(null, "bench", "envelope", "--size", "4KiB", "--size", "16KiB", "--seconds", "0.05");

        Assert.True(result.ExitCode == 0, result.Stderr);
        var lines = result.StdoutText.TrimEnd().Split('\n');
        Assert.Contains(lines, l => l.TrimStart().StartsWith("4KiB", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.TrimStart().StartsWith("16KiB", StringComparison.Ordinal));
        var last = RatioLine().Match(lines[^1]);
        Assert.True(last.Success, lines[^1]);
        var ratio = double.Parse(last.Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.InRange(ratio, 0.001, 100);
    }

    [Fact]
    public async Task Bench_envelope_rejects_a_bad_size()
    {
        var result = await Run(null, "bench", "envelope", "--size", "lots");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--size expects a size", result.Stderr, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"^envelope/raw seal ratio at 16KiB: (\d+\.\d\d)$")]
    private static partial Regex RatioLine();
}
