using Carapace.Controller.Activations;

namespace Carapace.Controller.Invocation;

/// <summary>How an invocation ended, as the controller recorded it.</summary>
public sealed record InvocationResult
{
    /// <summary>The activation of the invoked action (for a sequence: the sequence's own activation).</summary>
    public required ActivationId ActivationId { get; init; }

    /// <summary>The recorded status.</summary>
    public required ActivationStatus Status { get; init; }

    /// <summary>The platform's description of a failure; never user data. Null on success.</summary>
    public string? Error { get; init; }

    /// <summary>The sealed output of the last step (for the client), or null when the run failed before it.</summary>
    public ReadOnlyMemory<byte>? SealedOutput { get; init; }

    /// <summary>The sealed log of the last step that ran, if any.</summary>
    public ReadOnlyMemory<byte>? SealedLog { get; init; }

    /// <summary>The receipts of the steps that ran, in order.</summary>
    public IReadOnlyList<ReadOnlyMemory<byte>> Receipts { get; init; } = [];

    /// <summary>The activations of the steps, in order (for a single action: its own activation).</summary>
    public IReadOnlyList<ActivationId> StepActivations { get; init; } = [];

    /// <summary>True when any step needed a freshly specialised enclave.</summary>
    public bool ColdStart { get; init; }

    /// <summary>Total specialisation time of the cold steps, in milliseconds; null when all were warm.</summary>
    public long? InitTimeMs { get; init; }

    /// <summary>The JSON result of the last step of a plaintext action (null for confidential ones).</summary>
    public System.Text.Json.JsonElement? PlainResult { get; init; }

    /// <summary>True when the request id had already run (a replay or a retry); nothing ran again.</summary>
    public bool Replayed { get; init; }

    /// <summary>
    /// Set when a step could not start because a service it needs is unavailable for now (the KMS is down or
    /// restarting): nothing of that step ran, the failure is recorded, and the same request may succeed after this wait.
    /// </summary>
    public TimeSpan? RetryAfter { get; init; }

    /// <summary>
    /// True when the platform's disk was full, so the outcome could not be written (it is recorded once a write
    /// succeeds again, or at the next start).
    /// </summary>
    public bool StorageFull { get; init; }
}

/// <summary>An invocation that has been admitted and recorded and is now running.</summary>
/// <param name="ActivationId">The activation id the caller can poll.</param>
/// <param name="Completion">Completes with the result; never faults (failures are results).</param>
public sealed record PendingInvocation(ActivationId ActivationId, Task<InvocationResult> Completion);
