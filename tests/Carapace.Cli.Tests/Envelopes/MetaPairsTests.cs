using Carapace.Cli.Envelopes;

namespace Carapace.Cli.Tests.Envelopes;

public sealed class MetaPairsTests
{
    [Fact]
    public void Parses_comma_separated_and_repeated_pairs()
    {
        Assert.True(MetaPairs.TryParse(["a=1,b=2", "c=x=y", "d="], out var pairs, out _));
        Assert.Equal(["a", "b", "c", "d"], pairs.Keys);
        Assert.Equal("x=y", pairs["c"]);
        Assert.Equal(string.Empty, pairs["d"]);
    }

    [Theory]
    [InlineData("novalue")]
    [InlineData("=v")]
    [InlineData("a=1,a=2")]
    public void Rejects_bad_pairs_with_a_reason(string value)
    {
        Assert.False(MetaPairs.TryParse([value], out _, out var error));
        Assert.StartsWith("--meta", error, StringComparison.Ordinal);
    }
}
