using System.Buffers.Binary;
using System.Formats.Cbor;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Carapace.Attestation.RaTls;

namespace Carapace.Attestation.Tests.RaTls;

/// <summary>Builds RA-TLS certificates and quote-shaped blobs for tests, and the registry with fake quote verifiers.</summary>
internal static class RaTlsTestKit
{
    public const string VectorPath = "ratls/ccc_gramine_ratls_cert.pem";

    public static readonly DateTimeOffset VectorTime = Vectors.Utc("2024-01-15T00:00:00Z");

    public static readonly byte[] Mrenclave = SHA256.HashData("test enclave"u8);

    public static byte[] Vector => Vectors.Bytes(VectorPath);

    public static byte[] VectorDer => Vectors.Pem(VectorPath).RawData;

    public static (RaTlsVerifier Verifier, FakeQuoteVerifier Sgx, FakeQuoteVerifier Tdx) Verifier()
    {
        var sgx = new FakeQuoteVerifier(EvidenceKind.Sgx);
        var tdx = new FakeQuoteVerifier(EvidenceKind.Tdx);
        return (new RaTlsVerifier(new EvidenceVerifiers([sgx, tdx])), sgx, tdx);
    }

    public static VerificationOptions At(DateTimeOffset at) => new() { At = at };

    /// <summary>An SGX quote v3 shape: header, 384-byte report body with MRENCLAVE and REPORTDATA, empty signature data.</summary>
    public static byte[] SgxQuote(ReadOnlySpan<byte> reportData)
    {
        var quote = new byte[48 + 384 + 4 + 64];
        BinaryPrimitives.WriteUInt16LittleEndian(quote, 3);
        BinaryPrimitives.WriteUInt16LittleEndian(quote.AsSpan(2), 2);
        Mrenclave.CopyTo(quote, 48 + 0x40);
        reportData.CopyTo(quote.AsSpan(48 + 0x140));
        BinaryPrimitives.WriteUInt32LittleEndian(quote.AsSpan(432), 64);
        return quote;
    }

    /// <summary>A TDX quote v4 shape with REPORTDATA set.</summary>
    public static byte[] TdxQuote(ReadOnlySpan<byte> reportData)
    {
        var quote = new byte[48 + 584 + 4 + 64];
        BinaryPrimitives.WriteUInt16LittleEndian(quote, 4);
        BinaryPrimitives.WriteUInt16LittleEndian(quote.AsSpan(2), 2);
        BinaryPrimitives.WriteUInt32LittleEndian(quote.AsSpan(4), 0x81);
        reportData.CopyTo(quote.AsSpan(48 + 0x208));
        BinaryPrimitives.WriteUInt32LittleEndian(quote.AsSpan(632), 64);
        return quote;
    }

    /// <summary>A claims buffer {"pubkey-hash": h'CBOR [alg, hash]', "nonce": …} as the CCC document describes.</summary>
    public static byte[] Claims(ReadOnlySpan<byte> subjectPublicKeyInfo, byte[]? nonce = null, ulong algorithm = 1, bool wrapped = true)
    {
        var hash = algorithm switch
        {
            7 => SHA384.HashData(subjectPublicKeyInfo),
            8 => SHA512.HashData(subjectPublicKeyInfo),
            _ => SHA256.HashData(subjectPublicKeyInfo),
        };
        var entry = new CborWriter();
        entry.WriteStartArray(2);
        entry.WriteUInt64(algorithm);
        entry.WriteByteString(hash);
        entry.WriteEndArray();

        var writer = new CborWriter();
        writer.WriteStartMap(nonce is null ? 1 : 2);
        writer.WriteTextString("pubkey-hash");
        if (wrapped)
        {
            writer.WriteByteString(entry.Encode());
        }
        else
        {
            writer.WriteEncodedValue(entry.Encode());
        }

        if (nonce is not null)
        {
            writer.WriteTextString("nonce");
            writer.WriteByteString(nonce);
        }

        writer.WriteEndMap();
        return writer.Encode();
    }

    public static byte[] Tagged(byte[] quote, byte[] claims, ulong tag = RaTlsEvidence.IntelQuoteTag)
    {
        var writer = new CborWriter();
        writer.WriteTag((CborTag)tag);
        writer.WriteStartArray(2);
        writer.WriteByteString(quote);
        writer.WriteByteString(claims);
        writer.WriteEndArray();
        return writer.Encode();
    }

    public static X509Extension TaggedExtension(byte[] tagged) => new("2.23.133.5.4.9", tagged, critical: false);

    public static X509Extension LegacyExtension(byte[] quote) => new("1.2.840.113741.1337.6", quote, critical: false);

    /// <summary>A self-signed certificate for <paramref name="key"/> with the extensions, valid 2020..2030 by default.</summary>
    public static byte[] SelfSigned(ECDsa key, IEnumerable<X509Extension> extensions, DateTimeOffset? notBefore = null, DateTimeOffset? notAfter = null)
    {
        var request = new CertificateRequest("CN=RATLS test", key, HashAlgorithmName.SHA256);
        foreach (var extension in extensions)
        {
            request.CertificateExtensions.Add(extension);
        }

        using var certificate = request.CreateSelfSigned(notBefore ?? Vectors.Utc("2020-01-01T00:00:00Z"), notAfter ?? Vectors.Utc("2030-01-01T00:00:00Z"));
        return certificate.RawData;
    }

    /// <summary>A correct CCC-format RA-TLS certificate: the quote binds SHA-256 of the claims, the claims bind the key.</summary>
    public static byte[] CccCertificate(ECDsa key, byte[]? nonce = null, ulong algorithm = 1, Func<byte[], byte[]>? quoteFor = null)
    {
        var claims = Claims(key.ExportSubjectPublicKeyInfo(), nonce, algorithm);
        var reportData = new byte[64];
        SHA256.HashData(claims, reportData);
        var quote = quoteFor is null ? SgxQuote(reportData) : quoteFor(reportData);
        return SelfSigned(key, [TaggedExtension(Tagged(quote, claims))]);
    }

    public static byte[] SpkiOf(byte[] certificateDer)
    {
        using var certificate = X509CertificateLoader.LoadCertificate(certificateDer);
        return certificate.PublicKey.ExportSubjectPublicKeyInfo();
    }
}
