using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Carapace.Attestation.RaTls;

/// <summary>
/// An RA-TLS certificate (PEM or DER) and the attestation evidence it carries: the CCC interoperable format
/// (<c>tcg-dice-tagged-evidence</c>, 2.23.133.5.4.9), Gramine's legacy quote extension (1.2.840.113741.1337.6) and,
/// recognised only, Open Enclave's extensions. Parsing checks structure; <see cref="CheckValidity"/>,
/// <see cref="VerifySignature"/> and <see cref="RaTlsEvidence.CheckBinding(ReadOnlySpan{byte}, ReadOnlySpan{byte})"/> do the checks.
/// </summary>
public sealed class RaTlsCertificate
{
    private const int MaxSize = 1024 * 1024;

    private readonly CertificateParts _parts;

    private RaTlsCertificate(CertificateParts parts, IReadOnlyList<RaTlsEvidence> evidence)
    {
        _parts = parts;
        Evidence = evidence;
    }

    /// <summary>The certificate's DER encoding.</summary>
    public ReadOnlyMemory<byte> Der => _parts.Der;

    /// <summary>The certificate's DER SubjectPublicKeyInfo: the key the evidence must bind.</summary>
    public ReadOnlyMemory<byte> SubjectPublicKeyInfo => _parts.SubjectPublicKeyInfo;

    /// <summary>The subject's distinguished name.</summary>
    public string Subject => NameOf(_parts.Subject);

    /// <summary>The issuer's distinguished name.</summary>
    public string Issuer => NameOf(_parts.Issuer);

    /// <summary>The start of the certificate's validity.</summary>
    public DateTimeOffset NotBefore => _parts.NotBefore;

    /// <summary>The end of the certificate's validity.</summary>
    public DateTimeOffset NotAfter => _parts.NotAfter;

    /// <summary>The evidence extensions found, most preferred first (CCC format, then Gramine legacy, then Open Enclave).</summary>
    public IReadOnlyList<RaTlsEvidence> Evidence { get; }

    /// <summary>
    /// Parses a certificate from PEM (the first <c>CERTIFICATE</c> block) or DER. Throws
    /// <see cref="AttestationException"/>: <see cref="AttestationFailureReason.Malformed"/> for anything that is not one
    /// well-formed certificate or whose evidence extensions cannot be read, <see cref="AttestationFailureReason.UnsupportedVersion"/>
    /// for a critical extension Carapace does not understand.
    /// </summary>
    public static RaTlsCertificate Parse(ReadOnlyMemory<byte> pemOrDer)
    {
        if (pemOrDer.Length > MaxSize)
        {
            throw AttestationException.Malformed($"the RA-TLS certificate is {pemOrDer.Length} bytes; certificates larger than {MaxSize} are refused");
        }

        var der = IsPem(pemOrDer.Span) ? DecodePem(pemOrDer.Span) : pemOrDer;
        CertificateParts parts;
        try
        {
            parts = CertificateParts.Parse(der);
        }
        catch (Exception e) when (e is AsnContentException or CryptographicException or ArgumentException or OverflowException)
        {
            throw AttestationException.Malformed($"the RA-TLS certificate is not a DER X.509 certificate ({e.Message})");
        }

        var evidence = new List<RaTlsEvidence>();
        foreach (var (oid, critical, value) in parts.Extensions)
        {
            if (critical && !RaTlsOids.KnownCritical.Contains(oid))
            {
                throw new AttestationException(AttestationFailureReason.UnsupportedVersion,
                    $"the RA-TLS certificate has a critical extension {oid} that Carapace does not understand");
            }

            switch (oid)
            {
                case RaTlsOids.TcgDiceTaggedEvidence:
                    evidence.Add(RaTlsEvidence.FromTaggedEvidence(oid, value));
                    break;
                case RaTlsOids.GramineQuote or RaTlsOids.GramineQuoteDoubleEncoded:
                    evidence.Add(RaTlsEvidence.FromGramineQuote(oid, value));
                    break;
                case RaTlsOids.OpenEnclaveEvidence or RaTlsOids.OpenEnclaveLegacyReport:
                    evidence.Add(RaTlsEvidence.FromOpenEnclave(oid, value));
                    break;
            }
        }

        return new RaTlsCertificate(parts, [.. evidence.OrderBy(e => e.Format)]);
    }

    /// <summary>True when <paramref name="data"/> starts (after white space) with a PEM certificate header.</summary>
    internal static bool IsPem(ReadOnlySpan<byte> data) =>
        data.TrimStart(" \t\r\n"u8).StartsWith("-----BEGIN CERTIFICATE"u8);

    /// <summary>Throws <see cref="AttestationException"/> unless <paramref name="at"/> is within the certificate's validity.</summary>
    public void CheckValidity(DateTimeOffset at)
    {
        if (at < NotBefore)
        {
            throw new AttestationException(AttestationFailureReason.NotYetValid,
                $"the RA-TLS certificate '{Subject}' is not valid until {NotBefore.UtcDateTime:u} (verification time {at.UtcDateTime:u})");
        }

        if (at > NotAfter)
        {
            throw new AttestationException(AttestationFailureReason.Expired,
                $"the RA-TLS certificate '{Subject}' expired at {NotAfter.UtcDateTime:u} (verification time {at.UtcDateTime:u})");
        }
    }

    /// <summary>
    /// Checks that the certificate is signed by its own key (RA-TLS certificates are self-signed; the evidence, not a
    /// CA, vouches for the key). ECDSA (P-256/384/521) and RSA PKCS#1 v1.5 with SHA-256/384/512 are supported, with
    /// the ECDSA algorithm identifier's parameters absent or an explicit NULL (as mbedTLS writes them). Throws
    /// <see cref="AttestationException"/> otherwise.
    /// </summary>
    public void VerifySignature()
    {
        try
        {
            VerifySignatureCore();
        }
        catch (AsnContentException e)
        {
            throw AttestationException.Malformed($"the RA-TLS certificate's signature or key is not valid DER ({e.Message})");
        }
    }

    private void VerifySignatureCore()
    {
        if (!_parts.SignatureAlgorithm.Span.SequenceEqual(_parts.TbsSignatureAlgorithm.Span))
        {
            throw new AttestationException(AttestationFailureReason.BadSignature,
                "the RA-TLS certificate names a different signature algorithm outside its signed part than inside it");
        }

        var (isEcdsa, hash) = SignatureAlgorithmOf(_parts.SignatureAlgorithm);
        bool valid;
        if (isEcdsa)
        {
            using var key = ECDsa.Create();
            ImportKey(key, RaTlsOids.EcPublicKey);
            valid = key.VerifyData(_parts.Tbs.Span, _parts.Signature.Span, hash, DSASignatureFormat.Rfc3279DerSequence);
        }
        else
        {
            using var key = RSA.Create();
            ImportKey(key, RaTlsOids.RsaEncryption);
            valid = key.VerifyData(_parts.Tbs.Span, _parts.Signature.Span, hash, RSASignaturePadding.Pkcs1);
        }

        if (valid)
        {
            return;
        }

        if (!_parts.Issuer.Span.SequenceEqual(_parts.Subject.Span))
        {
            throw new AttestationException(AttestationFailureReason.UnsupportedVersion,
                $"the RA-TLS certificate '{Subject}' is issued by '{Issuer}', not self-signed; Carapace accepts only self-signed RA-TLS certificates");
        }

        throw new AttestationException(AttestationFailureReason.BadSignature,
            $"the self-signature of the RA-TLS certificate '{Subject}' does not verify: the certificate was altered");
    }

    private void ImportKey(AsymmetricAlgorithm key, string expectedAlgorithm)
    {
        var spki = new AsnReader(_parts.SubjectPublicKeyInfo, AsnEncodingRules.DER).ReadSequence();
        var algorithm = spki.ReadSequence().ReadObjectIdentifier();
        if (algorithm != expectedAlgorithm)
        {
            throw new AttestationException(AttestationFailureReason.BadSignature,
                $"the RA-TLS certificate's key ({algorithm}) cannot make its signature's algorithm; it is not self-signed");
        }

        try
        {
            key.ImportSubjectPublicKeyInfo(_parts.SubjectPublicKeyInfo.Span, out _);
        }
        catch (Exception e) when (e is CryptographicException or PlatformNotSupportedException or ArgumentException)
        {
            throw new AttestationException(AttestationFailureReason.UnsupportedVersion,
                "the RA-TLS certificate's public key cannot be loaded (unsupported curve or damaged key)");
        }
    }

    private static (bool IsEcdsa, HashAlgorithmName Hash) SignatureAlgorithmOf(ReadOnlyMemory<byte> algorithmIdentifier)
    {
        var reader = new AsnReader(algorithmIdentifier, AsnEncodingRules.DER).ReadSequence();
        var oid = reader.ReadObjectIdentifier();
        if (reader.HasData)
        {
            // Only an explicit NULL is tolerated (mbedTLS writes one even for ECDSA, where RFC 5758 says to omit it).
            reader.ReadNull();
            reader.ThrowIfNotEmpty();
        }

        return oid switch
        {
            RaTlsOids.EcdsaSha256 => (true, HashAlgorithmName.SHA256),
            RaTlsOids.EcdsaSha384 => (true, HashAlgorithmName.SHA384),
            RaTlsOids.EcdsaSha512 => (true, HashAlgorithmName.SHA512),
            RaTlsOids.RsaSha256 => (false, HashAlgorithmName.SHA256),
            RaTlsOids.RsaSha384 => (false, HashAlgorithmName.SHA384),
            RaTlsOids.RsaSha512 => (false, HashAlgorithmName.SHA512),
            _ => throw new AttestationException(AttestationFailureReason.UnsupportedVersion,
                $"the RA-TLS certificate is signed with algorithm {oid}; Carapace checks ECDSA and RSA PKCS#1 v1.5 with SHA-256/384/512"),
        };
    }

    private static ReadOnlyMemory<byte> DecodePem(ReadOnlySpan<byte> pem)
    {
        if (!PemEncoding.TryFindUtf8(pem, out var fields))
        {
            throw AttestationException.Malformed("the RA-TLS certificate PEM is damaged: no complete BEGIN/END CERTIFICATE block");
        }

        if (!pem[fields.Label].SequenceEqual("CERTIFICATE"u8))
        {
            throw AttestationException.Malformed($"the PEM block is a '{Encoding.ASCII.GetString(pem[fields.Label])}', not a CERTIFICATE");
        }

        var der = new byte[fields.DecodedDataLength];
        if (!Convert.TryFromBase64Chars(Encoding.ASCII.GetString(pem[fields.Base64Data]), der, out var written) || written != der.Length)
        {
            throw AttestationException.Malformed("the RA-TLS certificate PEM is damaged: its base64 does not decode");
        }

        return der;
    }

    private static string NameOf(ReadOnlyMemory<byte> name)
    {
        try
        {
            return new X500DistinguishedName(name.Span).Name;
        }
        catch (CryptographicException)
        {
            return "(unreadable name)";
        }
    }
}
