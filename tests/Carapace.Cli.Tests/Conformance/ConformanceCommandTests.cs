namespace Carapace.Cli.Tests.Conformance;

public sealed class ConformanceCommandTests : CliFixture
{
    [Fact]
    public async Task The_command_prints_a_line_per_test_and_a_summary_and_fails_when_a_test_fails()
    {
        // A two-test suite from the real one: a test that passes, and the same module told to expect another exit code.
        var source = Path.Combine(ConformanceFixture.Suite, "tests", "assemblyscript", "testsuite", "wasm32-wasip1");
        Directory.CreateDirectory(Dir.File("suite"));
        File.Copy(Path.Combine(source, "proc_exit-failure.wasm"), Dir.File("suite/exits.wasm"));
        File.Copy(Path.Combine(source, "proc_exit-failure.json"), Dir.File("suite/exits.json"));
        File.Copy(Path.Combine(source, "proc_exit-failure.wasm"), Dir.File("suite/wrong.wasm"));
        File.WriteAllText(Dir.File("suite/wrong.json"), """{"exit_code": 7}""");
        File.WriteAllText(Dir.File("suite/left.cleanup"), "");

        var result = await Run(null, "conformance", Dir.File("suite"), "--cache-dir", Dir.File("cache"));

        Assert.Equal(1, result.ExitCode);
        var lines = result.StdoutText.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        Assert.StartsWith("[ 1/2] PASS exits (", lines[0], StringComparison.Ordinal);
        Assert.StartsWith("[ 2/2] FAIL wrong (", lines[1], StringComparison.Ordinal);
        Assert.Contains("exit code 33, expected 7", lines[1], StringComparison.Ordinal);
        Assert.StartsWith("1 passed, 1 failed, 0 skipped (", lines[2], StringComparison.Ordinal);
        Assert.False(File.Exists(Dir.File("suite/left.cleanup")));
        Assert.Contains("removed 1 *.cleanup artefact", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_directory_or_an_empty_filter_is_a_clear_error()
    {
        var missing = await Run(null, "conformance", Dir.File("nowhere"));
        var empty = await Run(null, "conformance", ConformanceFixture.Suite, "--filter", "no-such-test");

        Assert.Equal(3, missing.ExitCode);
        Assert.Contains("nowhere does not exist", missing.Stderr, StringComparison.Ordinal);
        Assert.Equal(2, empty.ExitCode);
        Assert.Contains("match the filter", empty.Stderr, StringComparison.Ordinal);
    }
}
