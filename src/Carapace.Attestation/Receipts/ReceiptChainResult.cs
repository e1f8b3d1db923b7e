namespace Carapace.Attestation.Receipts;

/// <summary>The outcome of <see cref="ReceiptChain.Check"/>.</summary>
public sealed class ReceiptChainResult
{
    private ReceiptChainResult(ReceiptChainFailureReason? reason, int? step, string message)
    {
        Reason = reason;
        Step = step;
        Message = message;
    }

    /// <summary>True when the receipts are exactly one run of the chain, linked from the client's input to its output.</summary>
    public bool Valid => Reason is null;

    /// <summary>Why not, or null when valid.</summary>
    public ReceiptChainFailureReason? Reason { get; }

    /// <summary>The chain step the failure is about, where there is one.</summary>
    public int? Step { get; }

    /// <summary>What was found; never contains function data.</summary>
    public string Message { get; }

    internal static ReceiptChainResult Success(int steps) => new(null, null, $"{steps} step(s) linked from the sealed input to the sealed output");

    internal static ReceiptChainResult Failure(ReceiptChainFailureReason reason, int? step, string message) => new(reason, step, message);

    /// <inheritdoc />
    public override string ToString() => Valid ? Message : $"{Reason}: {Message}";
}
