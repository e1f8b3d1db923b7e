using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Carapace.Attestation.Dcap;

/// <summary>
/// An X.509 CRL (RFC 5280 CertificateList) from Intel's collateral, read with <see cref="AsnReader"/>: its issuer,
/// validity, revoked serial numbers and the ECDSA signature over the DER of its tbsCertList.
/// </summary>
internal sealed class RevocationList
{
    private const string EcdsaWithSha256 = "1.2.840.10045.4.3.2";

    private readonly byte[] _tbsCertList;
    private readonly byte[] _signature;
    private readonly HashSet<string> _revokedSerials;

    private RevocationList(string what, byte[] tbsCertList, byte[] signature, byte[] issuer, ValidityWindow window, HashSet<string> revokedSerials)
    {
        What = what;
        _tbsCertList = tbsCertList;
        _signature = signature;
        Issuer = issuer;
        Window = window;
        _revokedSerials = revokedSerials;
    }

    /// <summary>What the CRL is, for messages ("PCK CRL", "root CA CRL").</summary>
    public string What { get; }

    /// <summary>The DER of the issuer's distinguished name.</summary>
    public byte[] Issuer { get; }

    /// <summary>thisUpdate .. nextUpdate.</summary>
    public ValidityWindow Window { get; }

    /// <summary>The serial numbers of the revoked certificates (lower-case hex of the DER integer).</summary>
    public IReadOnlyCollection<string> RevokedSerials => _revokedSerials;

    /// <summary>Parses a DER CRL; <paramref name="what"/> names it in messages.</summary>
    /// <exception cref="AttestationException">Malformed: the only exception for any bytes.</exception>
    public static RevocationList Parse(byte[] der, string what)
    {
        try
        {
            return Read(der, what);
        }
        catch (AsnContentException)
        {
            throw AttestationException.Malformed($"the {what} in the DCAP collateral is not a valid DER CRL");
        }
    }

    /// <summary>Checks that <paramref name="issuer"/> issued this CRL (same name) and signed it.</summary>
    public void VerifyIssuedBy(X509Certificate2 issuer, string issuerWhat)
    {
        if (!issuer.SubjectName.RawData.AsSpan().SequenceEqual(Issuer))
        {
            throw new AttestationException(AttestationFailureReason.CollateralMismatch,
                $"the {What} is issued by '{new X500DistinguishedName(Issuer).Name}', but it must come from the {issuerWhat} '{issuer.Subject}'");
        }

        using var key = P256.KeyOf(issuer, issuerWhat);
        if (!key.VerifyData(_tbsCertList, _signature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence))
        {
            throw new AttestationException(AttestationFailureReason.BadSignature,
                $"the {What} signature does not verify with the key of '{issuer.Subject}'");
        }
    }

    /// <summary>Throws Revoked when <paramref name="certificate"/>'s serial number is listed.</summary>
    public void CheckNotRevoked(X509Certificate2 certificate, string certificateWhat)
    {
        if (_revokedSerials.Contains(Convert.ToHexStringLower(certificate.SerialNumberBytes.Span)))
        {
            throw new AttestationException(AttestationFailureReason.Revoked,
                $"the {certificateWhat} certificate '{certificate.Subject}' (serial {certificate.SerialNumber}) is revoked by the {What}");
        }
    }

    private static RevocationList Read(byte[] der, string what)
    {
        var reader = new AsnReader(der, AsnEncodingRules.DER);
        var certificateList = reader.ReadSequence();
        reader.ThrowIfNotAtEnd();
        var tbsCertList = certificateList.ReadEncodedValue().ToArray();
        var outerAlgorithm = ReadAlgorithm(certificateList, what);
        var signature = certificateList.ReadBitString(out var unusedBits);
        certificateList.ThrowIfNotAtEnd();
        if (unusedBits != 0)
        {
            throw AttestationException.Malformed($"the {what} signature is not a whole number of bytes");
        }

        var tbs = new AsnReader(tbsCertList, AsnEncodingRules.DER).ReadSequence();
        if (tbs.PeekTag().HasSameClassAndValue(Asn1Tag.Integer))
        {
            tbs.ReadInteger();
        }

        var innerAlgorithm = ReadAlgorithm(tbs, what);
        if (innerAlgorithm != outerAlgorithm)
        {
            throw AttestationException.Malformed($"the {what} names two different signature algorithms");
        }

        var issuer = tbs.ReadEncodedValue().ToArray();
        var thisUpdate = ReadTime(tbs);
        if (!tbs.HasData || !IsTime(tbs.PeekTag()))
        {
            throw AttestationException.Malformed($"the {what} has no nextUpdate, so its freshness cannot be judged");
        }

        var nextUpdate = ReadTime(tbs);
        var revoked = new HashSet<string>(StringComparer.Ordinal);
        if (tbs.HasData && tbs.PeekTag().HasSameClassAndValue(Asn1Tag.Sequence))
        {
            var entries = tbs.ReadSequence();
            while (entries.HasData)
            {
                var entry = entries.ReadSequence();
                revoked.Add(Convert.ToHexStringLower(entry.ReadIntegerBytes().Span));
                ReadTime(entry);
                if (entry.HasData)
                {
                    entry.ReadSequence();
                }

                entry.ThrowIfNotAtEnd();
            }
        }

        if (tbs.HasData)
        {
            tbs.ReadSequence(new Asn1Tag(TagClass.ContextSpecific, 0, isConstructed: true));
        }

        tbs.ThrowIfNotAtEnd();
        return new RevocationList(what, tbsCertList, signature, issuer, new ValidityWindow(thisUpdate, nextUpdate), revoked);
    }

    private static string ReadAlgorithm(AsnReader reader, string what)
    {
        var algorithm = reader.ReadSequence();
        var oid = algorithm.ReadObjectIdentifier();
        if (oid != EcdsaWithSha256)
        {
            throw new AttestationException(AttestationFailureReason.UnsupportedVersion,
                $"the {what} is signed with algorithm {oid}; Intel signs CRLs with ecdsa-with-SHA256 ({EcdsaWithSha256})");
        }

        if (algorithm.HasData)
        {
            algorithm.ReadNull();
        }

        algorithm.ThrowIfNotAtEnd();
        return oid;
    }

    private static bool IsTime(Asn1Tag tag) =>
        tag.HasSameClassAndValue(Asn1Tag.UtcTime) || tag.HasSameClassAndValue(Asn1Tag.GeneralizedTime);

    private static DateTimeOffset ReadTime(AsnReader reader) =>
        reader.PeekTag().HasSameClassAndValue(Asn1Tag.UtcTime) ? reader.ReadUtcTime() : reader.ReadGeneralizedTime();
}
