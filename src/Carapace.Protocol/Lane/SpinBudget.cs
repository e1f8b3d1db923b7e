using System.Diagnostics;

namespace Carapace.Protocol.Lane;

/// <summary>
/// How long a lane reader polls before it blocks on the pipe, and how many readers of this process may poll at
/// once: at most half the processors (at least one), so polling never takes the cores the functions need.
/// </summary>
public static class SpinBudget
{
    private static readonly int s_maxSpinners = Math.Max(1, Environment.ProcessorCount / 2);
    private static int s_spinners;

    /// <summary>Claims a polling slot; false when enough readers of this process already poll.</summary>
    public static bool TryEnter()
    {
        if (Interlocked.Increment(ref s_spinners) <= s_maxSpinners)
        {
            return true;
        }

        Interlocked.Decrement(ref s_spinners);
        return false;
    }

    /// <summary>Gives a polling slot back.</summary>
    public static void Exit() => Interlocked.Decrement(ref s_spinners);

    /// <summary>
    /// Polls <paramref name="mailbox"/> until a frame is there, <paramref name="stop"/> says so, or
    /// <paramref name="budget"/> passed. True when a frame is there.
    /// </summary>
    public static bool PollFor(Mailbox mailbox, TimeSpan budget, Func<bool>? stop = null)
    {
        ArgumentNullException.ThrowIfNull(mailbox);
        var until = Stopwatch.GetTimestamp() + (long)(budget.TotalSeconds * Stopwatch.Frequency);
        var round = 0;
        while (true)
        {
            if (mailbox.HasFrame)
            {
                return true;
            }

            if (stop?.Invoke() == true || (++round % 16 == 0 && Stopwatch.GetTimestamp() >= until))
            {
                return false;
            }

            Thread.SpinWait(8);
        }
    }
}
