using System.Globalization;
using System.Text.RegularExpressions;

namespace Carapace.Cli.Tests.Bench;

/// <summary><c>bench runtime --only files</c>: the file-shield section runs through the real enclave and prints its rows. Shapes only, never timings.</summary>
public sealed partial class BenchRuntimeFilesTests : CliFixture
{
    private static readonly string s_examples = Path.Combine(RepoPaths.Root, "examples", "out");

    [Fact]
    public async Task Bench_runtime_files_prints_every_kind_of_read_the_sqlite_queries_the_bound_and_the_ratios()
    {
        var result = await Run(null, "bench", "runtime", "--only", "files", "--examples", s_examples, "--shield-size", "1MiB", "--shield-rounds", "1");

        Assert.True(result.ExitCode == 0, result.Stderr);
        var lines = result.StdoutText.TrimEnd().Split('\n');
        Assert.StartsWith("file shield: 4 KiB reads of a 1 MiB file", lines[0], StringComparison.Ordinal);
        string[] rows =
        [
            "sequential, shielded image, first read of each block",
            "sequential, shielded image (verified blocks cached)", "sequential, overlay (copied up, enclave memory)", "sequential, /tmp (enclave memory)",
            "random, shielded image (verified blocks cached)", "random, overlay (copied up, enclave memory)", "random, /tmp (enclave memory)",
        ];
        foreach (var row in rows)
        {
            var line = Assert.Single(lines, l => l.TrimStart().StartsWith(row + " ", StringComparison.Ordinal));
            var m = PerRead().Match(line);
            Assert.True(m.Success, line);
            Assert.True(double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) > 0, line);
        }

        Assert.Contains(lines, l => l.Contains("setup, not in the figures above", StringComparison.Ordinal) && l.Contains("copy-up", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("SQLite full scan of 100000 rows, shielded image / /tmp", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("SQLite 2000 random lookups, shielded image / /tmp", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("AES-256-GCM verify + decrypt of a 4 KiB block on this CPU", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("SHA-256 of 4 KiB on this CPU", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("bound for a first read", StringComparison.Ordinal));
        foreach (var ratio in new[] { "shielded/overlay, sequential / random", "shielded/tmp, sequential / random", "shielded/tmp, SQLite scan / lookups" })
        {
            var line = Assert.Single(lines, l => l.Contains("speed ratio " + ratio, StringComparison.Ordinal));
            Assert.Matches(TwoRatios(), line);
        }

        Assert.Matches(Goal(), lines[^1]);
        // Only the file shield was measured.
        Assert.DoesNotContain(lines, l => l.Contains("enclave process cold start", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("--only", "everything", "everything")]
    [InlineData("--shield-size", "3KiB", "--shield-size expects")]
    [InlineData("--shield-rounds", "0", "--shield-rounds must be")]
    public async Task Bench_runtime_refuses_bad_file_shield_options(string option, string value, string message)
    {
        var result = await Run(null, "bench", "runtime", option, value);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains(message, result.Stderr, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"  (\d+\.\d\d) µs per read \(\d+ MB/s\)$")]
    private static partial Regex PerRead();

    [GeneratedRegex(@"  \d+\.\d\d / \d+\.\d\d$")]
    private static partial Regex TwoRatios();

    [GeneratedRegex(@"^  goal: shielded reads ≥ 0\.70× in-memory reads +(met|not met) \(cached blocks\)$")]
    private static partial Regex Goal();
}
