using Carapace.Envelope.Format;

namespace Carapace.Controller.Activations;

/// <summary>Where a claimed chain step stands.</summary>
public enum StepState
{
    /// <summary>Claimed; running or lost with its enclave.</summary>
    Claimed,

    /// <summary>Finished and its output recorded.</summary>
    Succeeded,

    /// <summary>Failed; the reason is recorded.</summary>
    Failed,
}

/// <summary>The record of one (request id, chain, step) execution.</summary>
public sealed record StepClaim
{
    /// <summary>The request id of the envelope.</summary>
    public required RequestId RequestId { get; init; }

    /// <summary>The chain id.</summary>
    public required string ChainId { get; init; }

    /// <summary>The step number.</summary>
    public required int Step { get; init; }

    /// <summary>The activation that runs the step, if one was given when claiming.</summary>
    public ActivationId? ActivationId { get; init; }

    /// <summary>Where the step stands.</summary>
    public required StepState State { get; init; }

    /// <summary>Why the step failed; null otherwise.</summary>
    public string? Error { get; init; }

    /// <summary>When it was claimed.</summary>
    public required DateTimeOffset Claimed { get; init; }

    /// <summary>When it succeeded or failed; null while claimed.</summary>
    public DateTimeOffset? Finished { get; init; }
}
