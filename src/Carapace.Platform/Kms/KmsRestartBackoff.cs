namespace Carapace.Platform.Kms;

/// <summary>
/// The exponential backoff of KMS restarts: attempt 0 waits <see cref="First"/>, each later one twice as long as the
/// one before, never more than <see cref="Max"/>. Deterministic (no jitter): there is one KMS per platform, so there is
/// no herd to spread.
/// </summary>
/// <param name="First">The wait before attempt 0.</param>
/// <param name="Max">The cap.</param>
public sealed record KmsRestartBackoff(TimeSpan First, TimeSpan Max)
{
    /// <summary>The wait before restart attempt <paramref name="attempt"/> (0-based; negative counts as 0).</summary>
    public TimeSpan Delay(int attempt)
    {
        if (First <= TimeSpan.Zero)
        {
            return TimeSpan.Zero;
        }

        var delay = First;
        for (var i = 0; i < attempt && delay < Max; i++)
        {
            delay += delay;
        }

        return delay < Max ? delay : Max;
    }
}
