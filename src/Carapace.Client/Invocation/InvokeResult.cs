using Carapace.Attestation.Receipts;
using Carapace.Envelope.Format;

namespace Carapace.Client.Invocation;

/// <summary>The opened output of an invocation and what proves how it was made.</summary>
public sealed class InvokeResult
{
    /// <summary>The action (and chain) invoked.</summary>
    public required string Action { get; init; }

    /// <summary>The activation id.</summary>
    public required string ActivationId { get; init; }

    /// <summary>The request id the input was sealed with (every receipt names it).</summary>
    public required RequestId RequestId { get; init; }

    /// <summary>The function's output (the last step's, for a chain), opened with the chain's exit key.</summary>
    public required byte[] Output { get; init; }

    /// <summary>True when an enclave was specialised for the request; null when unknown (a result fetched later).</summary>
    public bool? Cold { get; init; }

    /// <summary>The end-to-end time as this client saw it (sealing, the request, opening and verifying).</summary>
    public TimeSpan Duration { get; init; }

    /// <summary>The receipts as the platform returned them (one per step, in step order): canonical CBOR, to keep and verify offline.</summary>
    public required IReadOnlyList<ReadOnlyMemory<byte>> Receipts { get; init; }

    /// <summary>The receipts, parsed, when they were verified (empty when verification was off).</summary>
    public IReadOnlyList<Receipt> VerifiedReceipts { get; init; } = [];
}
