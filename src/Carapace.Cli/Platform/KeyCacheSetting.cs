using Carapace.Cli.Infrastructure;
using Carapace.Client.Invocation;

namespace Carapace.Cli.Platform;

/// <summary>
/// The client's on-disk key cache (<c>keycache/</c> of the data directory), set by <c>CARAPACE_KEY_CACHE</c>: unset for
/// the default lifetime (10 minutes), a duration (<c>30s</c>, <c>5m</c>; at most 24 h) for another, <c>off</c> for none.
/// </summary>
internal static class KeyCacheSetting
{
    public const string Variable = "CARAPACE_KEY_CACHE";

    /// <summary>The cache for <paramref name="dataDirectory"/>, or null when it is off.</summary>
    /// <exception cref="CliFailure">The variable holds neither <c>off</c> nor a duration within 24 h.</exception>
    public static ChainKeyCache? For(string dataDirectory, Func<string, string?>? environment = null)
    {
        var value = (environment ?? Environment.GetEnvironmentVariable)(Variable);
        var lifetime = ChainKeyCache.DefaultLifetime;
        if (!string.IsNullOrWhiteSpace(value))
        {
            if (string.Equals(value.Trim(), "off", StringComparison.OrdinalIgnoreCase))
            {
                return null;
            }

            if (!Duration.TryParse(value, out lifetime) || lifetime > ChainKeyCache.MaxLifetime)
            {
                throw new CliFailure($"{Variable}='{value}' is not 'off' or a duration such as 30s or 10m (at most 24 h)");
            }
        }

        return new ChainKeyCache(ChainKeyCache.DirectoryIn(dataDirectory), lifetime);
    }
}
