using System.Globalization;

namespace Carapace.Cli.Bench;

/// <summary>
/// What the <c>fsbench</c> example printed (examples/fsbench.c): its setup times and, per pass, the microseconds a
/// sequential or random pass over one kind of file took. The checks of each pass must agree across kinds: the three
/// places returned the same bytes.
/// </summary>
internal sealed class FsbenchOutput
{
    private const int Block = 4096;

    private readonly Dictionary<(string Kind, string Mode), List<double>> _perRead = [];
    private double _firstRead = double.NaN;

    private FsbenchOutput()
    {
    }

    /// <summary>The kinds of file, in the order they are reported.</summary>
    public static IReadOnlyList<string> Kinds { get; } = ["image", "overlay", "tmp"];

    /// <summary>Microseconds the copy-up of the overlay's file took.</summary>
    public double CopyUpMicros { get; private set; }

    /// <summary>Microseconds the copy to /tmp took.</summary>
    public double TmpCopyMicros { get; private set; }

    /// <summary>Microseconds per 4 KiB read of round 0: the first sequential read of every block of the image's file.</summary>
    public double FirstReadMicros => !double.IsNaN(_firstRead) ? _firstRead : throw new InvalidOperationException("fsbench did not report its first read");

    /// <summary>The median over passes of the microseconds per 4 KiB read of <paramref name="kind"/> in <paramref name="mode"/> (seq or rand).</summary>
    public double MicrosPerRead(string kind, string mode) => new Latencies(_perRead[(kind, mode)]).P50;

    /// <summary>Parses the output.</summary>
    /// <exception cref="InvalidOperationException">A line is not what fsbench prints, a kind is missing, or two kinds read different bytes.</exception>
    public static FsbenchOutput Parse(string stdout)
    {
        var parsed = new FsbenchOutput();
        var checks = new Dictionary<(string Mode, string Round), string>();
        foreach (var line in stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var f = line.Split(' ');
            if (f is ["setup", "copy-up", var copyUp])
            {
                parsed.CopyUpMicros = Number(copyUp);
            }
            else if (f is ["setup", "tmp-copy", var tmpCopy])
            {
                parsed.TmpCopyMicros = Number(tmpCopy);
            }
            else if (f is [var kind, "seq" or "rand", var round, var count, var micros, var check] && Kinds.Contains(kind))
            {
                var reads = f[1] == "seq" ? Number(count) / Block : Number(count);
                if (round == "0")
                {
                    parsed._firstRead = Number(micros) / reads;
                }
                else
                {
                    if (!parsed._perRead.TryGetValue((kind, f[1]), out var list))
                    {
                        parsed._perRead[(kind, f[1])] = list = [];
                    }

                    list.Add(Number(micros) / reads);
                }

                if (checks.TryGetValue((f[1], round), out var seen) && seen != check)
                {
                    throw new InvalidOperationException($"fsbench: the {f[1]} pass {round} read different bytes from {kind}");
                }

                checks[(f[1], round)] = check;
            }
            else
            {
                throw new InvalidOperationException("fsbench printed an unexpected line: " + line);
            }
        }

        if (Kinds.Any(k => !parsed._perRead.ContainsKey((k, "seq")) || !parsed._perRead.ContainsKey((k, "rand"))))
        {
            throw new InvalidOperationException("fsbench did not report every kind of read");
        }

        return parsed;
    }

    private static double Number(string text) => double.Parse(text, NumberStyles.Integer, CultureInfo.InvariantCulture);
}
