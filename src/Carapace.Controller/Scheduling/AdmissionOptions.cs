namespace Carapace.Controller.Scheduling;

/// <summary>The bounds of <see cref="AdmissionQueue"/>; the defaults run on a laptop.</summary>
public sealed class AdmissionOptions
{
    /// <summary>Invocations of one namespace that may run at once (OpenWhisk's per-namespace <c>concurrent</c>: 100).</summary>
    public int PerNamespaceConcurrency { get; init; } = 100;

    /// <summary>Invocations of all namespaces that may wait for a slot; one more is rejected (429).</summary>
    public int MaxQueueLength { get; init; } = 1000;

    /// <summary>
    /// The sealed inputs the waiting invocations may hold in memory together, in bytes (default 256 MiB); an invocation
    /// that would take the total past it is rejected (429). A waiting invocation keeps its input in memory until it
    /// runs, so this, not the number of waiters times the largest body, bounds what the queue holds.
    /// </summary>
    public long MaxQueuedBytes { get; init; } = 256L * 1024 * 1024;

    /// <summary>Every invalid setting, each as a sentence; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (PerNamespaceConcurrency < 1)
        {
            errors.Add($"PerNamespaceConcurrency is {PerNamespaceConcurrency}; it must be at least 1.");
        }

        if (MaxQueueLength < 0)
        {
            errors.Add($"MaxQueueLength is {MaxQueueLength}; it must be 0 or more.");
        }

        if (MaxQueuedBytes < 0)
        {
            errors.Add($"MaxQueuedBytes is {MaxQueuedBytes}; it must be 0 or more.");
        }

        return errors;
    }
}
