using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Carapace.Attestation.Dcap;
using static Carapace.Attestation.Tests.Dcap.DcapVectors;

namespace Carapace.Attestation.Tests.Dcap;

public sealed class RevocationListTests
{
    [Fact]
    public void Reads_intels_pck_platform_crl()
    {
        var crl = RevocationList.Parse(Vectors.Bytes("tdx/gotdx_pck_platform_crl.der"), "PCK CRL");

        Assert.Contains("Intel SGX PCK Platform CA", new X500DistinguishedName(crl.Issuer).Name, StringComparison.Ordinal);
        Assert.Equal(Vectors.Utc("2023-06-08T07:27:52Z"), crl.Window.From);
        Assert.Equal(Vectors.Utc("2023-07-08T07:27:52Z"), crl.Window.Until);
        Assert.NotEmpty(crl.RevokedSerials);
    }

    [Fact]
    public void Intels_crls_verify_with_their_issuers()
    {
        var chain = PemCertificates.Read(DcapQuote.Parse(TdxQuote()).CertificationData.Span, "test");
        var pckCrl = RevocationList.Parse(Vectors.Bytes("tdx/gotdx_pck_platform_crl.der"), "PCK CRL");
        var rootCrl = RevocationList.Parse(Vectors.Bytes("tdx/gotdx_root_ca_crl.der"), "root CA CRL");

        pckCrl.VerifyIssuedBy(chain[1], "PCK CA");
        rootCrl.VerifyIssuedBy(TrustAnchors.BuiltIn.Intel[0], "root");
        var e = Assert.Throws<AttestationException>(() => pckCrl.VerifyIssuedBy(TrustAnchors.BuiltIn.Intel[0], "root"));
        Assert.Equal(AttestationFailureReason.CollateralMismatch, e.Reason);
    }

    [Fact]
    public void A_certificate_with_a_listed_serial_is_revoked()
    {
        var crl = RevocationList.Parse(Vectors.Bytes("tdx/gotdx_pck_platform_crl.der"), "PCK CRL");
        var serial = Convert.FromHexString(crl.RevokedSerials.First());
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=Revoked SGX PCK Certificate", key, HashAlgorithmName.SHA256);
        using var revoked = request.Create(request.SubjectName, X509SignatureGenerator.CreateForECDsa(key), TestPki.NotBefore, TestPki.NotAfter, serial);
        using var other = request.Create(request.SubjectName, X509SignatureGenerator.CreateForECDsa(key), TestPki.NotBefore, TestPki.NotAfter, [0x7f, 0x01]);

        var e = Assert.Throws<AttestationException>(() => crl.CheckNotRevoked(revoked, "PCK"));

        Assert.Equal(AttestationFailureReason.Revoked, e.Reason);
        crl.CheckNotRevoked(other, "PCK");
    }

    [Fact]
    public void The_vectors_pck_certificate_is_not_revoked()
    {
        var crl = RevocationList.Parse(Vectors.Bytes("tdx/gotdx_pck_platform_crl.der"), "PCK CRL");

        crl.CheckNotRevoked(PemCertificates.Read(DcapQuote.Parse(TdxQuote()).CertificationData.Span, "test")[0], "PCK");
    }

    [Fact]
    public void Trailing_bytes_after_the_crl_are_malformed()
    {
        var der = Vectors.Bytes("tdx/gotdx_root_ca_crl.der").Append((byte)0).ToArray();

        Assert.Equal(AttestationFailureReason.Malformed, Assert.Throws<AttestationException>(() => RevocationList.Parse(der, "root CA CRL")).Reason);
    }

    [Fact]
    public void A_flipped_crl_signature_does_not_verify()
    {
        var der = Vectors.Bytes("tdx/gotdx_root_ca_crl.der");
        der[^3] ^= 0x01;
        var crl = RevocationList.Parse(der, "root CA CRL");

        var e = Assert.Throws<AttestationException>(() => crl.VerifyIssuedBy(TrustAnchors.BuiltIn.Intel[0], "root"));

        Assert.Equal(AttestationFailureReason.BadSignature, e.Reason);
    }
}
