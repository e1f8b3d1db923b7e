namespace Carapace.Platform.Kms;

/// <summary>
/// How the platform watches and restarts its KMS. The defaults: a dead KMS (its process exited) is noticed at once; a
/// KMS that stops answering is probed every 0.5 s with a 2 s deadline and declared unresponsive after 2 failed probes
/// in a row (within about 5 s); restarts wait 0.25 s, then twice as long after every failed attempt, at most 30 s, for
/// as long as it takes; the wait starts over once the KMS has stayed up for 60 s.
/// </summary>
public sealed class KmsSupervisionOptions
{
    /// <summary>The wait before the first restart attempt after the KMS went down.</summary>
    public TimeSpan FirstRestartDelay { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>The longest wait between restart attempts (the backoff doubles up to this).</summary>
    public TimeSpan MaxRestartDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a restarted KMS must stay up before the backoff starts over (so a crash loop keeps backing off).</summary>
    public TimeSpan StableAfter { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How often the running KMS is probed.</summary>
    public TimeSpan ProbeInterval { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>How long one probe may take.</summary>
    public TimeSpan ProbeTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Failed probes in a row after which a live KMS is declared unresponsive, killed and restarted.</summary>
    public int UnresponsiveAfter { get; init; } = 2;

    /// <summary>Failed restart attempts in a row after which each further failure is logged as an error, not a warning.</summary>
    public int PersistentFailureAfter { get; init; } = 5;

    /// <summary>What a KMS start is expected to take; added to the wait when telling callers when to retry.</summary>
    public TimeSpan StartAllowance { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Every problem with these options, one sentence each; empty when they are valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (FirstRestartDelay < TimeSpan.Zero)
        {
            problems.Add($"FirstRestartDelay {FirstRestartDelay} is negative.");
        }

        if (MaxRestartDelay < FirstRestartDelay || MaxRestartDelay <= TimeSpan.Zero)
        {
            problems.Add($"MaxRestartDelay {MaxRestartDelay} must be positive and at least FirstRestartDelay {FirstRestartDelay}.");
        }

        if (StableAfter < TimeSpan.Zero)
        {
            problems.Add($"StableAfter {StableAfter} is negative.");
        }

        if (ProbeInterval <= TimeSpan.Zero || ProbeTimeout <= TimeSpan.Zero)
        {
            problems.Add($"ProbeInterval {ProbeInterval} and ProbeTimeout {ProbeTimeout} must be positive.");
        }

        if (UnresponsiveAfter < 1 || PersistentFailureAfter < 1)
        {
            problems.Add($"UnresponsiveAfter {UnresponsiveAfter} and PersistentFailureAfter {PersistentFailureAfter} must be at least 1.");
        }

        if (StartAllowance < TimeSpan.Zero)
        {
            problems.Add($"StartAllowance {StartAllowance} is negative.");
        }

        return problems;
    }
}
