using System.Globalization;

namespace Carapace.Cli.Infrastructure;

/// <summary>Parses durations such as <c>5s</c>, <c>2.5s</c>, <c>500ms</c>, <c>1m</c> (a bare number is seconds).</summary>
internal static class Duration
{
    public static bool TryParse(string text, out TimeSpan duration)
    {
        duration = default;
        var t = text.Trim().ToLowerInvariant();
        double factor = 1000;
        if (t.EndsWith("ms", StringComparison.Ordinal))
        {
            t = t[..^2];
            factor = 1;
        }
        else if (t.EndsWith('s'))
        {
            t = t[..^1];
        }
        else if (t.EndsWith('m'))
        {
            t = t[..^1];
            factor = 60_000;
        }

        if (!double.TryParse(t, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var n) || n <= 0 || n * factor > TimeSpan.MaxValue.TotalMilliseconds)
        {
            return false;
        }

        duration = TimeSpan.FromMilliseconds(n * factor);
        return true;
    }
}
