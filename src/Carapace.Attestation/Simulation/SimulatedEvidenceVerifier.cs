using System.Security.Cryptography;

namespace Carapace.Attestation.Simulation;

/// <summary>
/// Verifies Carapace simulation evidence (kind <c>sim</c>). Accepts only evidence signed by a key listed in
/// <see cref="VerificationOptions.SimulationQuotingKeys"/>, and marks every result <see cref="AttestationResult.Insecure"/>
/// with TCB status <see cref="TcbStatus.NotApplicable"/> and the claim <c>warning</c> = "SIMULATION: no hardware protection".
/// </summary>
/// <remarks>
/// Layout, version 1:
/// <code>
/// offset  size  field
/// 0       4     magic "CRPS" (43 52 50 53)
/// 4       1     layout version, 1
/// 5       4     N, the body length, unsigned 32-bit big-endian (1..4096)
/// 9       N     body: one canonical CBOR map (CTAP2 canonical: definite lengths, shortest encodings, keys sorted)
/// 9+N     64    signature: ECDSA P-256 with SHA-256 over bytes [0, 9+N) — header and body — as r‖s (IEEE P1363)
/// </code>
/// The body map has exactly these text keys: <c>format</c> = "carapace-sim", <c>version</c> = 1,
/// <c>measurement</c> (32-byte bstr, the Carapace function measurement), <c>reportData</c> (64-byte bstr),
/// <c>issuedAt</c> (unsigned, Unix time in milliseconds) and <c>quotingKey</c> (bstr, the DER SubjectPublicKeyInfo
/// of the P-256 key that signed it). Nothing may follow the signature. Evidence issued more than
/// <see cref="MaxClockSkew"/> after the verification time is rejected as <see cref="AttestationFailureReason.NotYetValid"/>;
/// freshness beyond that comes from a nonce in the report data.
/// </remarks>
public sealed class SimulatedEvidenceVerifier : EvidenceVerifier
{
    /// <summary>How far in the future <c>issuedAt</c> may be before the evidence is rejected.</summary>
    public static readonly TimeSpan MaxClockSkew = TimeSpan.FromMinutes(5);

    /// <summary>The text of the <c>warning</c> claim on every result.</summary>
    public const string Warning = "SIMULATION: no hardware protection";

    private const string P256Oid = "1.2.840.10045.3.1.7";

    /// <inheritdoc />
    public override EvidenceKind Kind => EvidenceKind.Simulation;

    /// <inheritdoc />
    protected override VerifiedClaims VerifyCore(ReadOnlyMemory<byte> evidence, VerificationOptions options)
    {
        if (options.SimulationQuotingKeys.Count == 0)
        {
            throw new AttestationException(AttestationFailureReason.PolicyDenied,
                "simulation evidence is accepted only with a trusted simulation quoting key (allowSimulation)");
        }

        var parsed = SimulatedEvidence.Parse(evidence);
        var keyId = SHA256.HashData(parsed.QuotingKey);
        if (!options.SimulationQuotingKeys.Any(trusted => CryptographicOperations.FixedTimeEquals(trusted.Span, parsed.QuotingKey)))
        {
            throw new AttestationException(AttestationFailureReason.BrokenChain,
                $"the simulation evidence is signed by quoting key {Convert.ToHexStringLower(keyId)}, which is not one of the trusted simulation quoting keys; trust that key only if it is your own simulator's");
        }

        using (var key = ImportP256(parsed.QuotingKey, keyId))
        {
            if (!key.VerifyData(parsed.Signed.Span, parsed.Signature.Span, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation))
            {
                throw new AttestationException(AttestationFailureReason.BadSignature,
                    $"the simulation evidence signature does not verify with its quoting key {Convert.ToHexStringLower(keyId)}: the evidence was altered");
            }
        }

        if (parsed.IssuedAtUnixMilliseconds > (ulong)DateTimeOffset.MaxValue.ToUnixTimeMilliseconds())
        {
            throw AttestationException.Malformed($"the simulation evidence issuedAt {parsed.IssuedAtUnixMilliseconds} is not a representable time");
        }

        var issuedAt = DateTimeOffset.FromUnixTimeMilliseconds((long)parsed.IssuedAtUnixMilliseconds);
        var now = options.Now;
        if (issuedAt - MaxClockSkew > now)
        {
            throw new AttestationException(AttestationFailureReason.NotYetValid,
                $"the simulation evidence was issued at {issuedAt.UtcDateTime:O}, more than {MaxClockSkew.TotalMinutes:0} minutes after the verification time {now.UtcDateTime:O}; check both clocks");
        }

        return new VerifiedClaims
        {
            Kind = EvidenceKind.Simulation,
            Insecure = true,
            TcbStatus = TcbStatus.NotApplicable,
            Measurement = parsed.Measurement,
            ReportData = parsed.ReportData,
            ValidFrom = issuedAt,
            Claims =
            [
                Claim.Of("warning", Warning),
                Claim.Of("measurement", parsed.Measurement),
                Claim.Of("reportData", parsed.ReportData),
                Claim.Of("issuedAt", parsed.IssuedAtUnixMilliseconds),
                Claim.Of("quotingKeyId", keyId),
            ],
        };
    }

    private static ECDsa ImportP256(byte[] subjectPublicKeyInfo, byte[] keyId)
    {
        var key = ECDsa.Create();
        try
        {
            key.ImportSubjectPublicKeyInfo(subjectPublicKeyInfo, out var read);
            if (read != subjectPublicKeyInfo.Length || key.ExportParameters(false).Curve.Oid?.Value != P256Oid)
            {
                throw new CryptographicException();
            }

            return key;
        }
        catch (Exception e) when (e is CryptographicException or PlatformNotSupportedException or ArgumentException)
        {
            key.Dispose();
            throw new AttestationException(AttestationFailureReason.UnsupportedVersion,
                $"the trusted simulation quoting key {Convert.ToHexStringLower(keyId)} is not an ECDSA P-256 SubjectPublicKeyInfo");
        }
    }
}
