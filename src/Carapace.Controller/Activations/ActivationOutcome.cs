using System.Text.Json;

namespace Carapace.Controller.Activations;

/// <summary>How an activation ended, as the worker reports it.</summary>
public sealed record ActivationOutcome
{
    /// <summary>
    /// The largest plaintext result an activation records, in UTF-8 bytes of its JSON (1 MiB, OpenWhisk's
    /// <c>whisk.activation.payload.max</c>); a larger one is recorded as an action developer error.
    /// </summary>
    public const int MaxPlainResultBytes = 1024 * 1024;

    /// <summary>The OpenWhisk status.</summary>
    public required ActivationStatus Status { get; init; }

    /// <summary>
    /// The sealed output envelope. The record's result shows only its size, SHA-256 and the key id from its public
    /// header; the ciphertext itself is kept beside the record (<see cref="ActivationStore.GetOutput"/>) so that a
    /// non-blocking caller can fetch it later.
    /// </summary>
    public ReadOnlyMemory<byte>? SealedOutput { get; init; }

    /// <summary>
    /// False to record only the size, SHA-256 and key id of <see cref="SealedOutput"/> and not keep its ciphertext: for
    /// an inner step of a sequence, whose output only the next step's enclave can open (its receipt has the same hash).
    /// </summary>
    public bool KeepSealedOutput { get; init; } = true;

    /// <summary>The JSON result of a non-confidential action; rejected for a confidential one.</summary>
    public JsonElement? PlainResult { get; init; }

    /// <summary>A platform message for a failure the platform saw (timeout, crash); never user data.</summary>
    public string? Error { get; init; }

    /// <summary>The sealed log envelope; stored as a blob and shown only as its size and SHA-256.</summary>
    public ReadOnlyMemory<byte>? SealedLogs { get; init; }

    /// <summary>The signed receipts of the steps that ran (public: signed metadata and hashes, no data).</summary>
    public IReadOnlyList<ReadOnlyMemory<byte>> Receipts { get; init; } = [];

    /// <summary>
    /// For an action's activation: whether it ran past its time limit (OpenWhisk's <c>timeout</c> annotation); null
    /// for a sequence's own activation and for outcomes the platform recorded without running the action.
    /// </summary>
    public bool? TimedOut { get; init; }

    /// <summary>For a sequence's own activation: its components' activations, in the order they ran; else null.</summary>
    public IReadOnlyList<ActivationId>? Components { get; init; }

    /// <summary>Milliseconds spent initialising a cold enclave (OpenWhisk's <c>initTime</c>); null for a warm start.</summary>
    public long? InitTimeMs { get; init; }
}
