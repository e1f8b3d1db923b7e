using System.Globalization;

namespace Carapace.Cli.Infrastructure;

/// <summary>Parses and prints byte sizes such as <c>1024</c>, <c>64KiB</c>, <c>1MiB</c>, <c>64k</c>, <c>1m</c>, <c>1GiB</c>.</summary>
internal static class ByteSize
{
    private static readonly (string Suffix, long Factor)[] s_suffixes =
    [
        ("gib", 1L << 30), ("mib", 1L << 20), ("kib", 1L << 10),
        ("g", 1L << 30), ("m", 1L << 20), ("k", 1L << 10), ("b", 1),
    ];

    public static bool TryParse(string text, out long bytes)
    {
        bytes = 0;
        var t = text.Trim().ToLowerInvariant();
        long factor = 1;
        foreach (var (suffix, f) in s_suffixes)
        {
            if (t.EndsWith(suffix, StringComparison.Ordinal))
            {
                t = t[..^suffix.Length];
                factor = f;
                break;
            }
        }

        if (!long.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n > long.MaxValue / factor)
        {
            return false;
        }

        bytes = n * factor;
        return true;
    }

    public static string Format(long bytes) => bytes switch
    {
        >= 1L << 30 when bytes % (1L << 30) == 0 => Invariant($"{bytes >> 30}GiB"),
        >= 1L << 20 when bytes % (1L << 20) == 0 => Invariant($"{bytes >> 20}MiB"),
        >= 1L << 10 when bytes % (1L << 10) == 0 => Invariant($"{bytes >> 10}KiB"),
        _ => Invariant($"{bytes}B"),
    };

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
