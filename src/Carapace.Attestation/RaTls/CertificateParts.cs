using System.Formats.Asn1;

namespace Carapace.Attestation.RaTls;

/// <summary>
/// The parts of a DER X.509 certificate RA-TLS needs, read with explicit structure checks (System.Formats.Asn1)
/// rather than through the platform's certificate parser, so that mbedTLS quirks (ecdsa-with-SHA256 with an explicit
/// NULL parameter, Gramine's double-encoded extension OID) are handled deliberately.
/// </summary>
internal sealed class CertificateParts
{
    public required ReadOnlyMemory<byte> Der { get; init; }

    public required ReadOnlyMemory<byte> Tbs { get; init; }

    public required ReadOnlyMemory<byte> TbsSignatureAlgorithm { get; init; }

    public required ReadOnlyMemory<byte> SignatureAlgorithm { get; init; }

    public required ReadOnlyMemory<byte> Signature { get; init; }

    public required ReadOnlyMemory<byte> Issuer { get; init; }

    public required ReadOnlyMemory<byte> Subject { get; init; }

    public required DateTimeOffset NotBefore { get; init; }

    public required DateTimeOffset NotAfter { get; init; }

    public required ReadOnlyMemory<byte> SubjectPublicKeyInfo { get; init; }

    public required IReadOnlyList<(string Oid, bool Critical, ReadOnlyMemory<byte> Value)> Extensions { get; init; }

    /// <summary>True when <paramref name="der"/> has the shape of one DER certificate (not a CRL or other signed structure).</summary>
    public static bool LooksLikeCertificate(ReadOnlyMemory<byte> der)
    {
        if (der.Length < 2 || der.Span[0] != 0x30)
        {
            return false;
        }

        try
        {
            Parse(der);
            return true;
        }
        catch (Exception e) when (e is AsnContentException or AttestationException or System.Security.Cryptography.CryptographicException
                                      or ArgumentException or OverflowException)
        {
            return false;
        }
    }

    /// <summary>Parses one DER certificate with nothing after it. Throws <see cref="AsnContentException"/> or <see cref="AttestationException"/>.</summary>
    public static CertificateParts Parse(ReadOnlyMemory<byte> der)
    {
        var outer = new AsnReader(der, AsnEncodingRules.DER);
        var certificate = outer.ReadSequence();
        if (outer.HasData)
        {
            throw AttestationException.Malformed("the RA-TLS certificate has data after its end");
        }

        var tbs = certificate.PeekEncodedValue();
        var tbsReader = certificate.ReadSequence();
        var signatureAlgorithm = certificate.ReadEncodedValue();
        var signature = certificate.ReadBitString(out var unusedBits);
        if (unusedBits != 0)
        {
            throw AttestationException.Malformed("the RA-TLS certificate's signature is not a whole number of bytes");
        }

        certificate.ThrowIfNotEmpty();
        CheckAlgorithmIdentifier(signatureAlgorithm);

        var version = 0;
        var explicitVersion = new Asn1Tag(TagClass.ContextSpecific, 0, isConstructed: true);
        if (tbsReader.PeekTag().HasSameClassAndValue(explicitVersion))
        {
            var versionReader = tbsReader.ReadSequence(explicitVersion);
            if (!versionReader.TryReadInt32(out version) || version is < 0 or > 2)
            {
                throw AttestationException.Malformed("the RA-TLS certificate has an unknown X.509 version");
            }

            versionReader.ThrowIfNotEmpty();
        }

        tbsReader.ReadIntegerBytes();
        var tbsSignatureAlgorithm = tbsReader.ReadEncodedValue();
        CheckAlgorithmIdentifier(tbsSignatureAlgorithm);
        var issuer = tbsReader.ReadEncodedValue();
        new AsnReader(issuer, AsnEncodingRules.DER).ReadSequence();
        var validity = tbsReader.ReadSequence();
        var notBefore = ReadTime(validity);
        var notAfter = ReadTime(validity);
        validity.ThrowIfNotEmpty();
        var subject = tbsReader.ReadEncodedValue();
        new AsnReader(subject, AsnEncodingRules.DER).ReadSequence();
        var spki = tbsReader.ReadEncodedValue();
        var spkiReader = new AsnReader(spki, AsnEncodingRules.DER).ReadSequence();
        CheckAlgorithmIdentifier(spkiReader.ReadEncodedValue());
        spkiReader.ReadBitString(out _);
        spkiReader.ThrowIfNotEmpty();

        var extensions = new List<(string, bool, ReadOnlyMemory<byte>)>();
        foreach (var uniqueId in new[] { 1, 2 })
        {
            var tag = new Asn1Tag(TagClass.ContextSpecific, uniqueId);
            if (tbsReader.HasData && tbsReader.PeekTag().HasSameClassAndValue(tag))
            {
                tbsReader.ReadEncodedValue();
            }
        }

        var extensionsTag = new Asn1Tag(TagClass.ContextSpecific, 3, isConstructed: true);
        if (tbsReader.HasData)
        {
            if (version != 2)
            {
                throw AttestationException.Malformed("the RA-TLS certificate has extensions but is not X.509 version 3");
            }

            var wrapper = tbsReader.ReadSequence(extensionsTag);
            var list = wrapper.ReadSequence();
            wrapper.ThrowIfNotEmpty();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            while (list.HasData)
            {
                var extension = list.ReadSequence();
                var oid = extension.ReadObjectIdentifier();
                var critical = false;
                if (extension.HasData && extension.PeekTag().HasSameClassAndValue(Asn1Tag.Boolean))
                {
                    critical = extension.ReadBoolean();
                }

                var value = extension.ReadOctetString();
                extension.ThrowIfNotEmpty();
                if (!seen.Add(oid))
                {
                    throw AttestationException.Malformed($"the RA-TLS certificate has the extension {oid} twice");
                }

                extensions.Add((oid, critical, value));
            }
        }

        tbsReader.ThrowIfNotEmpty();
        return new CertificateParts
        {
            Der = der,
            Tbs = tbs,
            TbsSignatureAlgorithm = tbsSignatureAlgorithm,
            SignatureAlgorithm = signatureAlgorithm,
            Signature = signature,
            Issuer = issuer,
            Subject = subject,
            NotBefore = notBefore,
            NotAfter = notAfter,
            SubjectPublicKeyInfo = spki,
            Extensions = extensions,
        };
    }

    /// <summary>An AlgorithmIdentifier: SEQUENCE { OID, optional parameters (one value) }.</summary>
    private static void CheckAlgorithmIdentifier(ReadOnlyMemory<byte> encoded)
    {
        var reader = new AsnReader(encoded, AsnEncodingRules.DER).ReadSequence();
        reader.ReadObjectIdentifier();
        if (reader.HasData)
        {
            reader.ReadEncodedValue();
        }

        reader.ThrowIfNotEmpty();
    }

    private static DateTimeOffset ReadTime(AsnReader reader) =>
        reader.PeekTag().HasSameClassAndValue(Asn1Tag.UtcTime) ? reader.ReadUtcTime() : reader.ReadGeneralizedTime();
}
