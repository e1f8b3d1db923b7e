using System.Text.Json;

namespace Carapace.Controller.Activations;

/// <summary>OpenWhisk's <c>response</c> object of a finished activation.</summary>
/// <param name="Status">The status.</param>
/// <param name="Result">
/// The result: for a confidential action only <c>{"sealedOutput": {"size", "sha256", "keyId"}}</c> and a platform
/// <c>error</c>; for a plaintext action the function's JSON.
/// </param>
public sealed record ActivationResponse(ActivationStatus Status, JsonElement Result)
{
    /// <summary>True only for <see cref="ActivationStatus.Success"/>.</summary>
    public bool Success => Status == ActivationStatus.Success;
}

/// <summary>A stored activation with OpenWhisk's fields.</summary>
public sealed record ActivationRecord
{
    /// <summary>The activation id.</summary>
    public required ActivationId ActivationId { get; init; }

    /// <summary>The namespace the action ran in.</summary>
    public required string Namespace { get; init; }

    /// <summary>The action's name.</summary>
    public required string Name { get; init; }

    /// <summary>The action's version.</summary>
    public required string Version { get; init; }

    /// <summary>The subject that invoked it.</summary>
    public required string Subject { get; init; }

    /// <summary>Whether payloads were sealed.</summary>
    public required bool Confidential { get; init; }

    /// <summary>When it started.</summary>
    public required DateTimeOffset Start { get; init; }

    /// <summary>When it ended; null while pending.</summary>
    public DateTimeOffset? End { get; init; }

    /// <summary>End minus start in milliseconds; null while pending.</summary>
    public long? Duration => End is { } end ? (long)(end - Start).TotalMilliseconds : null;

    /// <summary>The response; null while pending.</summary>
    public ActivationResponse? Response { get; init; }

    /// <summary>Size and SHA-256 of the sealed logs, if any were recorded.</summary>
    public BlobDigest? Logs { get; init; }

    /// <summary>
    /// The annotations: <c>path</c>, <c>kind</c>, <c>limits</c>, <c>waitTime</c>, <c>initTime</c> (cold starts),
    /// <c>causedBy</c> (sequences), <c>confidential</c>, and Carapace's <c>carapace.chainId</c>,
    /// <c>carapace.step</c>, <c>carapace.requestId</c>, and <c>topmost</c> on a sequence's own activation.
    /// </summary>
    public required IReadOnlyList<KeyValue> Annotations { get; init; }

    /// <summary>The activation of the sequence that ran this one as a component (OpenWhisk's <c>cause</c>); else null.</summary>
    public ActivationId? Cause { get; init; }

    /// <summary>
    /// For a sequence's own activation, the activations of its components in the order they ran (OpenWhisk lists them
    /// as the sequence's <c>logs</c>); null for any other activation.
    /// </summary>
    public IReadOnlyList<ActivationId>? Components { get; init; }

    /// <summary>True until the activation is completed.</summary>
    public bool IsPending => Response is null;
}
