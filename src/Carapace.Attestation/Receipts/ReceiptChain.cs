using System.Security.Cryptography;
using Carapace.Envelope.Format;

namespace Carapace.Attestation.Receipts;

/// <summary>
/// Checks that verified receipts are one run of chain C for request R, as the client saw it: exactly one receipt
/// for each step 1..n, in step order, all for R, C and one namespace; step 1 consumed the sealed input the client
/// sent; step i's sealed output is what step i+1 consumed; and step n's sealed output is what the client received.
/// Optionally, each step ran with the measurement the caller expects. Pass only receipts that
/// <see cref="ReceiptVerifier"/> verified: this checks how they relate, not who signed them.
/// </summary>
public static class ReceiptChain
{
    /// <summary>Checks <paramref name="receipts"/> against the request the client made; never throws for bad receipts.</summary>
    /// <param name="receipts">Verified receipts, one per step, in step order.</param>
    /// <param name="requestId">The request id the client sealed its input with.</param>
    /// <param name="chain">The chain id (the action name).</param>
    /// <param name="steps">The number of steps n of the chain.</param>
    /// <param name="sealedInputSha256">SHA-256 of the sealed input envelope the client sent.</param>
    /// <param name="sealedOutputSha256">SHA-256 of the sealed output envelope the client received.</param>
    /// <param name="expectedMeasurements">When given, the measurement each step 1..n must have run with (n entries).</param>
    /// <exception cref="ArgumentException"><paramref name="steps"/> is below 1, a hash is not 32 bytes, or the expected measurements are not n.</exception>
    public static ReceiptChainResult Check(IReadOnlyList<Receipt> receipts, RequestId requestId, string chain, int steps,
        ReadOnlySpan<byte> sealedInputSha256, ReadOnlySpan<byte> sealedOutputSha256, IReadOnlyList<ReadOnlyMemory<byte>>? expectedMeasurements = null)
    {
        ArgumentNullException.ThrowIfNull(receipts);
        ArgumentNullException.ThrowIfNull(chain);
        ArgumentOutOfRangeException.ThrowIfLessThan(steps, 1);
        if (sealedInputSha256.Length != SHA256.HashSizeInBytes || sealedOutputSha256.Length != SHA256.HashSizeInBytes)
        {
            throw new ArgumentException("the sealed input and output hashes are SHA-256 (32 bytes)");
        }

        if (expectedMeasurements is not null && expectedMeasurements.Count != steps)
        {
            throw new ArgumentException($"{expectedMeasurements.Count} expected measurements for a chain of {steps} steps", nameof(expectedMeasurements));
        }

        var seen = new bool[steps + 1];
        foreach (var receipt in receipts)
        {
            ArgumentNullException.ThrowIfNull(receipt, nameof(receipts));
            if (receipt.RequestId != requestId)
            {
                return Fail(ReceiptChainFailureReason.WrongRequest, receipt.Step, $"a receipt for step {receipt.Step} is for request {receipt.RequestId}, not {requestId}");
            }

            if (receipt.Chain != chain)
            {
                return Fail(ReceiptChainFailureReason.WrongChain, receipt.Step, $"a receipt for step {receipt.Step} is for chain '{receipt.Chain}', not '{chain}'");
            }

            if (receipt.Namespace != receipts[0].Namespace)
            {
                return Fail(ReceiptChainFailureReason.WrongNamespace, receipt.Step, $"the receipts name namespaces '{receipts[0].Namespace}' and '{receipt.Namespace}'");
            }

            if (receipt.Step < 1 || receipt.Step > steps)
            {
                return Fail(ReceiptChainFailureReason.StepOutOfRange, receipt.Step, $"a receipt names step {receipt.Step}; chain '{chain}' has steps 1..{steps}");
            }

            if (seen[receipt.Step])
            {
                return Fail(ReceiptChainFailureReason.DuplicateStep, receipt.Step, $"step {receipt.Step} has more than one receipt");
            }

            seen[receipt.Step] = true;
        }

        for (var step = 1; step <= steps; step++)
        {
            if (!seen[step])
            {
                return Fail(ReceiptChainFailureReason.MissingStep, step, $"step {step} of {steps} has no receipt");
            }
        }

        for (var i = 0; i < steps; i++)
        {
            if (receipts[i].Step != i + 1)
            {
                return Fail(ReceiptChainFailureReason.OutOfOrder, i + 1, $"receipt {i + 1} is for step {receipts[i].Step}; receipts must be in step order");
            }
        }

        if (!receipts[0].InputSha256.Span.SequenceEqual(sealedInputSha256))
        {
            return Fail(ReceiptChainFailureReason.InputMismatch, 1, "step 1 consumed another sealed input than the one the client sent");
        }

        for (var i = 0; i + 1 < steps; i++)
        {
            if (!receipts[i].OutputSha256.Span.SequenceEqual(receipts[i + 1].InputSha256.Span))
            {
                return Fail(ReceiptChainFailureReason.BrokenLink, i + 2, $"step {i + 2} consumed another sealed input than step {i + 1} produced");
            }
        }

        if (!receipts[steps - 1].OutputSha256.Span.SequenceEqual(sealedOutputSha256))
        {
            return Fail(ReceiptChainFailureReason.OutputMismatch, steps, $"step {steps} produced another sealed output than the one the client received");
        }

        for (var i = 0; expectedMeasurements is not null && i < steps; i++)
        {
            if (!receipts[i].Measurement.Span.SequenceEqual(expectedMeasurements[i].Span))
            {
                return Fail(ReceiptChainFailureReason.MeasurementMismatch, i + 1,
                    $"step {i + 1} ran with measurement {Convert.ToHexStringLower(receipts[i].Measurement.Span)}, not the expected {Convert.ToHexStringLower(expectedMeasurements[i].Span)}");
            }
        }

        return ReceiptChainResult.Success(steps);
    }

    private static ReceiptChainResult Fail(ReceiptChainFailureReason reason, int step, string message) => ReceiptChainResult.Failure(reason, step, message);
}
