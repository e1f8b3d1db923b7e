namespace Carapace.Cli.Tests;

public sealed class HelpTests : CliFixture
{
    [Theory]
    [InlineData]
    [InlineData("key", "new")]
    [InlineData("key", "id")]
    [InlineData("seal")]
    [InlineData("open")]
    [InlineData("inspect")]
    [InlineData("bench", "envelope")]
    [InlineData("bench", "runtime")]
    [InlineData("bench", "invoke")]
    [InlineData("up")]
    [InlineData("node")]
    [InlineData("cluster", "ca", "new")]
    [InlineData("cluster", "cert", "issue")]
    [InlineData("run")]
    [InlineData("pack")]
    [InlineData("measure")]
    [InlineData("status")]
    [InlineData("tcb")]
    public async Task Every_command_has_help_with_examples(params string[] command)
    {
        var result = await Run(null, [.. command, "--help"]);

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("Usage:", result.StdoutText, StringComparison.Ordinal);
        Assert.Contains("Examples:", result.StdoutText, StringComparison.Ordinal);
        Assert.Contains("  carapace " + string.Join(' ', command), result.StdoutText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_option_is_a_usage_error_that_points_to_help()
    {
        var result = await Run(null, "seal", "--kye", "x");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("Unrecognized command or argument '--kye'", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("carapace seal --help", result.Stderr, StringComparison.Ordinal);
    }
}
