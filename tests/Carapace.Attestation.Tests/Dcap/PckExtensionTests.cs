using Carapace.Attestation.Dcap;
using static Carapace.Attestation.Tests.Dcap.DcapVectors;

namespace Carapace.Attestation.Tests.Dcap;

public sealed class PckExtensionTests
{
    [Fact]
    public void Reads_the_sgx_vectors_pck_tcb()
    {
        var extension = PckExtension.Read(Leaf(SgxQuote()));

        Assert.Equal("00a067110000", Convert.ToHexStringLower(extension.Fmspc));
        Assert.Equal("0000", Convert.ToHexStringLower(extension.PceId));
        Assert.Equal(new byte[] { 11, 11, 2, 2, 255, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, extension.Components);
        Assert.Equal(13, extension.PceSvn);
        Assert.Equal(16, extension.CpuSvn.Length);
    }

    [Fact]
    public void Reads_the_tdx_vectors_pck_tcb()
    {
        var extension = PckExtension.Read(Leaf(TdxQuote()));

        Assert.Equal("50806f000000", Convert.ToHexStringLower(extension.Fmspc));
        Assert.Equal(new byte[] { 3, 3, 2, 2, 2, 1, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0 }, extension.Components);
        Assert.Equal(11, extension.PceSvn);
    }

    [Fact]
    public void A_certificate_without_the_sgx_extension_is_malformed()
    {
        var e = Assert.Throws<AttestationException>(() => PckExtension.Read(TrustAnchors.BuiltIn.Intel[0]));

        Assert.Equal(AttestationFailureReason.Malformed, e.Reason);
        Assert.Contains("1.2.840.113741.1.13.1", e.Message, StringComparison.Ordinal);
    }

    private static System.Security.Cryptography.X509Certificates.X509Certificate2 Leaf(byte[] quote) =>
        PemCertificates.Read(DcapQuote.Parse(quote).CertificationData.Span, "test")[0];
}
