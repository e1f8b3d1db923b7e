using Carapace.Controller.Registry;

namespace Carapace.Controller.Invocation;

/// <summary>An invocation as the controller receives it: an action name, who asks, and a sealed envelope.</summary>
public sealed record InvocationRequest
{
    /// <summary>The action (a <c>wasm:wasi</c> action or a sequence).</summary>
    public required ActionName Action { get; init; }

    /// <summary>The authenticated subject that invoked it.</summary>
    public required string Subject { get; init; }

    /// <summary>
    /// The input envelope, sealed for edge 0 → 1 of the chain named like the action. The controller reads its public
    /// header only.
    /// </summary>
    public required ReadOnlyMemory<byte> SealedInput { get; init; }

    /// <summary>
    /// The plan of <see cref="Action"/> when the caller resolved it already (<see cref="InvocationService.Plan"/>, e.g.
    /// to learn whether the first step takes an envelope); null to resolve it when the invocation starts.
    /// </summary>
    public InvocationPlan? Plan { get; init; }
}
