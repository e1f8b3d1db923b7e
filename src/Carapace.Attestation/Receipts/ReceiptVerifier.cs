using System.Security.Cryptography;

namespace Carapace.Attestation.Receipts;

/// <summary>
/// Verifies a receipt offline, on its own: it carries its evidence, so no enclave, KMS or network is involved.
/// In order: the bytes parse as a version 1 receipt (<see cref="ReceiptFailureReason.Malformed"/>); the signature
/// over "carapace receipt v1" ‖ body verifies with the key the body names (<see cref="ReceiptFailureReason.BadSignature"/>);
/// the evidence verifies under the caller's options, e.g. <see cref="VerificationOptions.SimulationQuotingKeys"/> for
/// simulation evidence (<see cref="ReceiptFailureReason.EvidenceNotVerified"/>); its report data is
/// <see cref="ReceiptSigner.ReportDataFor"/> of that key (<see cref="ReceiptFailureReason.KeyNotBound"/>); and its
/// measurement is the receipt's (<see cref="ReceiptFailureReason.MeasurementMismatch"/>). Never throws for bad input.
/// Whether the measurement is one the caller expects is the caller's policy (see <see cref="ReceiptChain"/>).
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

        if (!ReportData.Matches(attestation.ReportData.Span, ReceiptSigner.ReportDataFor(parsed.SigningKey.Span)))
        {
            return ReceiptVerification.Failure(ReceiptFailureReason.KeyNotBound,
                $"the receipt's evidence does not bind its signing key {KeyId(parsed.SigningKey.Span)}: the receipt was signed by a key the attested enclave never held", attestation);
        }

        if (!CryptographicOperations.FixedTimeEquals(attestation.Measurement.Span, parsed.Measurement.Span))
        {
            return ReceiptVerification.Failure(ReceiptFailureReason.MeasurementMismatch,
                $"the receipt names measurement {Convert.ToHexStringLower(parsed.Measurement.Span)} but its evidence proves {Convert.ToHexStringLower(attestation.Measurement.Span)}", attestation);
        }

        return ReceiptVerification.Success(parsed, attestation);
    }

    private static string KeyId(ReadOnlySpan<byte> signingKey) => Convert.ToHexStringLower(SHA256.HashData(signingKey))[..16];
}
