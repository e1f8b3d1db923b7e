using Carapace.Attestation;
using Carapace.Attestation.Receipts;
using Carapace.Attestation.Tee;
using Carapace.Envelope.Format;
using Carapace.Kms.Client.Policy;

namespace Carapace.Client.Invocation;

/// <summary>
/// The client's check of an invocation's receipts: one per step; each verifies offline against the KMS's quoting
/// key (on confidential VMs: the roots and collateral of the TEE configuration); each names the namespace, the step's
/// function and a measurement the policy accepts for that function (on confidential VMs: a workload rule, from a VM the
/// policy trusts, not in debug mode); and together they link the sealed input the client sent to the sealed output it
/// received (<see cref="ReceiptChain"/>).
/// </summary>
internal static class ReceiptCheck
{
    /// <summary>
    /// The verified receipts. Without <paramref name="sealedInputSha256"/> (a result fetched by activation id alone),
    /// step 1's input is taken as the receipts state it: the chain is still checked from there to the output.
    /// </summary>
    /// <exception cref="InvocationException">With <see cref="InvocationFailure.ReceiptsInvalid"/>: what did not hold.</exception>
    public static IReadOnlyList<Receipt> Verify(IReadOnlyList<ReadOnlyMemory<byte>> receipts, string ns, KmsPolicy policy, PolicyChain chain,
        RequestId requestId, ReadOnlyMemory<byte>? sealedInputSha256, ReadOnlySpan<byte> sealedOutputSha256, VerificationOptions options,
        TeeSettings tee, string activationId)
    {
        if (receipts.Count != chain.Steps.Count)
        {
            throw Invalid(activationId, $"the platform returned {receipts.Count} receipt(s) for chain '{chain.Name}' of {chain.Steps.Count} step(s)");
        }

        var verified = new List<Receipt>(receipts.Count);
        for (var i = 0; i < receipts.Count; i++)
        {
            var verification = ReceiptVerifier.Verify(receipts[i].Span, options);
            if (!verification.Verified)
            {
                throw Invalid(activationId, $"receipt {i + 1} does not verify ({verification})");
            }

            var receipt = verification.Receipt!;
            if (receipt.Namespace != ns)
            {
                throw Invalid(activationId, $"receipt {i + 1} is from namespace '{receipt.Namespace}', not '{ns}'");
            }

            if (receipt.Step < 1 || receipt.Step > chain.Steps.Count || receipt.Function != chain.Steps[receipt.Step - 1])
            {
                throw Invalid(activationId, $"receipt {i + 1} says function '{receipt.Function}' ran step {receipt.Step}; "
                    + $"chain '{chain.Name}' is {string.Join(" → ", chain.Steps)}");
            }

            var measurement = Convert.ToHexStringLower(receipt.Measurement.Span);
            var evidence = verification.Attestation!;
            var accepted = tee.IsSimulated
                ? policy.FindFunction(receipt.Function)?.Measurements
                    .Any(m => m.Kind == EvidenceKind.Simulation && string.Equals(m.Hash, measurement, StringComparison.OrdinalIgnoreCase)) ?? false
                : policy.FindFunction(receipt.Function)?.Measurements
                    .Any(m => m.IsWorkloadRule && m.Kind == evidence.Kind && string.Equals(m.Workload, measurement, StringComparison.OrdinalIgnoreCase)) ?? false;
            if (!accepted)
            {
                throw Invalid(activationId, $"step {receipt.Step} ran measurement {measurement}, which policy v{policy.Version} does not accept "
                    + $"for function '{receipt.Function}'");
            }

            if (!tee.IsSimulated)
            {
                // The enclave's measurement is only as good as the VM it ran in: a trusted image, a current TCB, no debug.
                var vm = ConfidentialVm.Evaluate(policy.ConfidentialVms, evidence);
                if (!vm.Accepted || evidence.Debug)
                {
                    throw Invalid(activationId, $"step {receipt.Step} ran in a confidential VM that policy v{policy.Version} does not trust: "
                        + (evidence.Debug ? "it is a debug VM" : vm.Message));
                }
            }

            verified.Add(receipt);
        }

        var input = sealedInputSha256 ?? verified.First(r => r.Step == 1).InputSha256;
        var linked = ReceiptChain.Check(verified, requestId, chain.Name, chain.Steps.Count, input.Span, sealedOutputSha256);
        return linked.Valid ? verified : throw Invalid(activationId, $"the receipts do not link the input to the output ({linked})");
    }

    private static InvocationException Invalid(string activationId, string what) =>
        new(InvocationFailure.ReceiptsInvalid, $"the output of activation {activationId} is not trusted: {what}", activationId: activationId);
}
