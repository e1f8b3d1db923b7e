using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Carapace.Attestation.Nitro;

/// <summary>
/// Verifies an AWS Nitro Enclaves attestation document: the COSE_Sign1 ES384 signature with the key of the
/// document's <c>certificate</c>, and the chain from that certificate through <c>cabundle[1..]</c> to the pinned
/// AWS Nitro root at the verification time. <c>cabundle[0]</c>, the root copy inside the document, is never used.
/// </summary>
/// <remarks>
/// <para>Claims: <see cref="AttestationResult.Measurement"/> is PCR0 (the enclave image); <see cref="AttestationResult.ReportData"/>
/// is <c>user_data</c> (empty when absent or null), which is what a Carapace enclave binds its report data to;
/// <see cref="AttestationResult.PublicKey"/> is <c>public_key</c> (empty when absent).</para>
/// <para><see cref="AttestationResult.Debug"/> is true when PCR0 is all zeros: AWS reports zero PCRs for enclaves
/// started in debug mode, whose memory the parent instance can read. <see cref="AttestationResult.TcbStatus"/> is
/// <see cref="TcbStatus.NotApplicable"/>: Nitro has no TCB levels.</para>
/// <para>The leaf certificate lives about three hours, so a document verifies only close to when it was made; verify
/// at a fixed <see cref="VerificationOptions.At"/> to check an old document.</para>
/// </remarks>
public sealed class NitroDocumentVerifier : EvidenceVerifier
{
    private const int Es384SignatureLength = 96;

    /// <inheritdoc />
    public override EvidenceKind Kind => EvidenceKind.Nitro;

    /// <inheritdoc />
    protected override VerifiedClaims VerifyCore(ReadOnlyMemory<byte> evidence, VerificationOptions options)
    {
        var document = NitroDocument.Parse(evidence.Span);
        if (!document.Pcrs.TryGetValue(0, out var pcr0))
        {
            throw AttestationException.Malformed("the Nitro document has no PCR0, the enclave image measurement");
        }

        var leaf = Load(document.Certificate, "certificate");
        using (var key = leaf.GetECDsaPublicKey())
        {
            if (key is null || key.KeySize != 384)
            {
                throw new AttestationException(AttestationFailureReason.UnsupportedVersion,
                    $"the Nitro document's certificate '{leaf.Subject}' does not hold an ECDSA P-384 key, so it cannot have signed an ES384 document");
            }

            if (document.Cose.Signature.Length != Es384SignatureLength)
            {
                throw AttestationException.Malformed(
                    $"the Nitro document's signature is {document.Cose.Signature.Length} bytes; an ES384 signature is {Es384SignatureLength} (r‖s)");
            }

            if (!key.VerifyData(document.Cose.ToBeSigned(), document.Cose.Signature, HashAlgorithmName.SHA384, DSASignatureFormat.IeeeP1363FixedFieldConcatenation))
            {
                throw new AttestationException(AttestationFailureReason.BadSignature,
                    $"the Nitro document's signature does not verify with the key of its certificate '{leaf.Subject}': the document was altered");
            }
        }

        var intermediates = document.CaBundle.Skip(1).Select((der, i) => Load(der, $"cabundle[{i + 1}]")).ToList();
        var chain = CertificateChains.Verify(leaf, intermediates, options.Roots.For(EvidenceKind.Nitro), options.Now, "AWS Nitro");

        return new VerifiedClaims
        {
            Kind = EvidenceKind.Nitro,
            Debug = pcr0.Span.IndexOfAnyExcept((byte)0) < 0,
            Measurement = pcr0,
            ReportData = document.UserData ?? ReadOnlyMemory<byte>.Empty,
            PublicKey = document.PublicKey ?? ReadOnlyMemory<byte>.Empty,
            TcbStatus = TcbStatus.NotApplicable,
            Claims = Claims(document),
            ValidFrom = chain.ValidFrom,
            ValidUntil = chain.ValidUntil,
        };
    }

    private static List<Claim> Claims(NitroDocument document)
    {
        var claims = new List<Claim>
        {
            Claim.Of("moduleId", document.ModuleId),
            Claim.Of("digest", document.Digest),
            Claim.Of("timestamp", document.TimestampMilliseconds),
            Claim.Group("pcrs", [.. document.Pcrs.OrderBy(p => p.Key).Select(p => Claim.Of($"pcr{p.Key}", p.Value.Span))]),
        };

        if (document.UserData is { } userData)
        {
            claims.Add(Claim.Of("userData", userData.Span));
        }

        if (document.Nonce is { } nonce)
        {
            claims.Add(Claim.Of("nonce", nonce.Span));
        }

        if (document.PublicKey is { } publicKey)
        {
            claims.Add(Claim.Of("publicKey", publicKey.Span));
        }

        return claims;
    }

    private static X509Certificate2 Load(ReadOnlyMemory<byte> der, string field)
    {
        try
        {
            return X509CertificateLoader.LoadCertificate(der.Span);
        }
        catch (CryptographicException)
        {
            throw AttestationException.Malformed($"the Nitro document's {field} is not a DER X.509 certificate");
        }
    }
}
