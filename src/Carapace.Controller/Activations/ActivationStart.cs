using Carapace.Controller.Registry;
using Carapace.Envelope.Format;

namespace Carapace.Controller.Activations;

/// <summary>What the scheduler knows when an activation starts; all of it is plaintext metadata.</summary>
public sealed record ActivationStart
{
    /// <summary>The action being run (its namespace is the activation's namespace).</summary>
    public required ActionName Action { get; init; }

    /// <summary>The action's version at invocation.</summary>
    public required string Version { get; init; }

    /// <summary>The authenticated subject that invoked it.</summary>
    public required string Subject { get; init; }

    /// <summary><c>exec.kind</c> of the action.</summary>
    public required string Kind { get; init; }

    /// <summary>The action's limits at invocation.</summary>
    public required ActionLimits Limits { get; init; }

    /// <summary>Whether payloads are sealed; a confidential activation never stores a plaintext result.</summary>
    public bool Confidential { get; init; } = true;

    /// <summary>Milliseconds the request waited before a worker took it (OpenWhisk's <c>waitTime</c>).</summary>
    public long WaitTimeMs { get; init; }

    /// <summary><c>"sequence"</c> for the activation of a sequence's component (OpenWhisk's <c>causedBy</c>); else null.</summary>
    public string? CausedBy { get; init; }

    /// <summary>
    /// For a sequence's own activation: true when it was invoked directly (OpenWhisk's <c>topmost</c> annotation);
    /// null for an action's activation.
    /// </summary>
    public bool? Topmost { get; init; }

    /// <summary>For a component of a sequence: the sequence's activation (OpenWhisk's <c>cause</c>); else null.</summary>
    public ActivationId? Cause { get; init; }

    /// <summary>The request id of the envelope, when the invocation carries one.</summary>
    public RequestId? RequestId { get; init; }

    /// <summary>The chain id of the envelope, when the invocation carries one.</summary>
    public string? ChainId { get; init; }

    /// <summary>The step of the chain, when the invocation carries one.</summary>
    public int? Step { get; init; }
}
