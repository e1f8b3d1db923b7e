using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Carapace.Enclave.Host;

/// <summary>
/// Where a stem cell's start goes, phase by phase, for <c>carapace bench runtime</c>: with
/// <c>CARAPACE_ENCLAVE_START_TIMINGS=1</c> in its environment the cell prints one line to stderr as it announces itself
/// ("carapace-enclave: start: identity 0.4 ms, …"). Off by default; marks then cost a branch.
/// </summary>
internal static class StartTimings
{
    /// <summary>The environment variable that turns the report on.</summary>
    public const string Variable = "CARAPACE_ENCLAVE_START_TIMINGS";

    private static readonly bool s_enabled = Environment.GetEnvironmentVariable(Variable) == "1";
    private static readonly StringBuilder s_line = new();
    private static long s_start;
    private static long s_last;

    /// <summary>Starts the clock: the first thing the program does.</summary>
    public static void Begin() => s_start = s_last = Stopwatch.GetTimestamp();

    /// <summary>Ends the phase named <paramref name="phase"/> now.</summary>
    public static void Mark(string phase)
    {
        if (!s_enabled)
        {
            return;
        }

        lock (s_line)
        {
            var now = Stopwatch.GetTimestamp();
            s_line.Append(s_line.Length == 0 ? "" : ", ").Append(phase).Append(' ')
                .Append(Stopwatch.GetElapsedTime(s_last, now).TotalMilliseconds.ToString("0.0", CultureInfo.InvariantCulture)).Append(" ms");
            s_last = now;
        }
    }

    /// <summary>Prints the phases and the time since the program's entry point.</summary>
    public static void Report()
    {
        if (!s_enabled)
        {
            return;
        }

        lock (s_line)
        {
            var total = Stopwatch.GetElapsedTime(s_start).TotalMilliseconds.ToString("0.0", CultureInfo.InvariantCulture);
            Console.Error.WriteLine($"carapace-enclave: start: {s_line}; {total} ms from the entry point");
        }
    }
}
