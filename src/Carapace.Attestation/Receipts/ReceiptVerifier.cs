using System.Security.Cryptography;

namespace Carapace.Attestation.Receipts;

/// <summary>
/// Verifies a receipt offline, on its own: it carries its evidence, so no enclave, KMS or network is involved.
/// In order: the bytes parse as a version 1 receipt (<see cref="ReceiptFailureReason.Malformed"/>); the signature
/// over "carapace receipt v1" ‖ body verifies with the key the body names (<see cref="ReceiptFailureReason.BadSignature"/>);
/// the evidence verifies under the caller's options, e.g. <see cref="VerificationOptions.SimulationQuotingKeys"/> for
/// simulation evidence (<see cref="ReceiptFailureReason.EvidenceNotVerified"/>); its report data is
/// <see cref="ReceiptSigner.ReportDataFor"/> of that key (<see cref="ReceiptFailureReason.KeyNotBound"/>) — for TDX and
/// SEV-SNP evidence also when wrapped in Carapace's <see cref="Tee.WorkloadBinding"/>; and its measurement (for TDX and
/// SEV-SNP evidence: the bound workload) is the receipt's (<see cref="ReceiptFailureReason.MeasurementMismatch"/>).
/// Never throws for bad input. Whether the measurement — and, on a confidential VM, the VM's launch measurement and TCB
/// in <see cref="ReceiptVerification"/>'s attestation result — is one the caller expects is the caller's policy (see
/// <see cref="ReceiptChain"/>).
/// </summary>
public static class ReceiptVerifier
{
    private static readonly EvidenceVerifiers s_default = EvidenceVerifiers.CreateDefault();

    /// <summary>Verifies <paramref name="receipt"/> with every verifier Carapace has (<see cref="EvidenceVerifiers.CreateDefault"/>).</summary>
    /// <exception cref="ArgumentException"><paramref name="options"/> sets <see cref="VerificationOptions.ExpectedReportData"/>: a receipt binds its own.</exception>
    public static ReceiptVerification Verify(ReadOnlySpan<byte> receipt, VerificationOptions options) => Verify(receipt, options, s_default);

    /// <summary>Verifies <paramref name="receipt"/> with the evidence verifiers in <paramref name="verifiers"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="options"/> sets <see cref="VerificationOptions.ExpectedReportData"/>: a receipt binds its own.</exception>
    public static ReceiptVerification Verify(ReadOnlySpan<byte> receipt, VerificationOptions options, EvidenceVerifiers verifiers)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(verifiers);
        if (options.ExpectedReportData is not null)
        {
            throw new ArgumentException("a receipt's evidence binds the receipt key; leave ExpectedReportData unset", nameof(options));
        }

        if (!ReceiptFormat.TryParse(receipt, out var body, out var signature, out var parsed, out var problem))
        {
            return ReceiptVerification.Failure(ReceiptFailureReason.Malformed, problem);
        }

        using (var key = P256.TryImport(parsed.SigningKey.Span))
        {
            if (key is null)
            {
                return ReceiptVerification.Failure(ReceiptFailureReason.Malformed, "the receipt's signing key is not a DER SubjectPublicKeyInfo of an ECDSA P-256 key");
            }

            using var sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            Span<byte> hash = stackalloc byte[ReceiptFormat.HashSize];
            ReceiptFormat.HashForSignature(sha256, body.Span, hash);
            if (!key.VerifyHash(hash, signature.Span, DSASignatureFormat.IeeeP1363FixedFieldConcatenation))
            {
                return ReceiptVerification.Failure(ReceiptFailureReason.BadSignature,
                    $"the receipt signature does not verify with its signing key {KeyId(parsed.SigningKey.Span)}: the receipt was altered");
            }
        }

        var attestation = verifiers.Verify(parsed.Evidence.Kind, parsed.Evidence.Bytes, options);
        if (!attestation.Verified)
        {
            return ReceiptVerification.Failure(ReceiptFailureReason.EvidenceNotVerified,
                $"the receipt's {EvidenceKinds.Name(parsed.Evidence.Kind)} evidence did not verify ({attestation.Failure})", attestation);
        }

        var expected = ReceiptSigner.ReportDataFor(parsed.SigningKey.Span);
        var vmWide = attestation.Kind is EvidenceKind.Tdx or EvidenceKind.SevSnp;
        byte[] workload = [];
        if (!ReportData.Matches(attestation.ReportData.Span, expected) && !(vmWide && Tee.WorkloadBinding.TryOpen(attestation.ReportData.Span, expected, out workload)))
        {
            return ReceiptVerification.Failure(ReceiptFailureReason.KeyNotBound,
                $"the receipt's evidence does not bind its signing key {KeyId(parsed.SigningKey.Span)}: the receipt was signed by a key the attested enclave never held", attestation);
        }

        // In a confidential VM the evidence measures the VM; the enclave's own measurement is the workload it binds.
        var proven = workload.Length > 0 ? workload : attestation.Measurement.Span;
        if (!CryptographicOperations.FixedTimeEquals(proven, parsed.Measurement.Span))
        {
            return ReceiptVerification.Failure(ReceiptFailureReason.MeasurementMismatch,
                $"the receipt names measurement {Convert.ToHexStringLower(parsed.Measurement.Span)} but its evidence proves {Convert.ToHexStringLower(proven)}", attestation);
        }

        return ReceiptVerification.Success(parsed, attestation);
    }

    private static string KeyId(ReadOnlySpan<byte> signingKey) => Convert.ToHexStringLower(SHA256.HashData(signingKey))[..16];
}
