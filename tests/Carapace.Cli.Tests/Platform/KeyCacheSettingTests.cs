using Carapace.Cli.Infrastructure;
using Carapace.Cli.Platform;
using Carapace.Client.Invocation;

namespace Carapace.Cli.Tests.Platform;

/// <summary><c>CARAPACE_KEY_CACHE</c>: unset is the default lifetime, a duration another one, <c>off</c> none, anything else a clear error.</summary>
public sealed class KeyCacheSettingTests
{
    private static ChainKeyCache? For(string? value) => KeyCacheSetting.For("/data", name => name == KeyCacheSetting.Variable ? value : null);

    [Fact]
    public void Unset_is_the_default_lifetime_in_the_data_directory()
    {
        var cache = For(null)!;
        Assert.Equal(ChainKeyCache.DefaultLifetime, cache.Lifetime);
        Assert.Equal(Path.Combine("/data", "keycache"), cache.Directory);
        Assert.Equal(ChainKeyCache.DefaultLifetime, For(" ")!.Lifetime);
    }

    [Theory]
    [InlineData("30s", 30)]
    [InlineData("5m", 300)]
    [InlineData("90", 90)]
    public void A_duration_sets_the_lifetime(string value, int seconds) => Assert.Equal(TimeSpan.FromSeconds(seconds), For(value)!.Lifetime);

    [Theory]
    [InlineData("off")]
    [InlineData("OFF")]
    public void Off_turns_it_off(string value) => Assert.Null(For(value));

    [Theory]
    [InlineData("forever")]
    [InlineData("0")]
    [InlineData("-5m")]
    [InlineData("1500m")]
    public void Anything_else_is_refused_with_what_to_write(string value)
    {
        var e = Assert.Throws<CliFailure>(() => For(value));
        Assert.Contains(KeyCacheSetting.Variable, e.Message, StringComparison.Ordinal);
        Assert.Contains("'off' or a duration", e.Message, StringComparison.Ordinal);
    }
}
