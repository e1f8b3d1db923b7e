using System.Text;
using Carapace.Attestation.Dcap;
using static Carapace.Attestation.Tests.Dcap.DcapVectors;

namespace Carapace.Attestation.Tests.Dcap;

/// <summary>
/// Flipping one bit of any byte a signature or hash covers must reject the quote: every byte from the header to the
/// start of the PEM chain (header, body, quote signature, attestation key, QE report, its signature, QE auth data and
/// all length and type fields), and a sample of the PCK leaf and CA certificates. The PEM framing and the quote's
/// own copy of the root are not trusted, so flips there only must not throw.
/// </summary>
public sealed class DcapByteFlipTests
{
    public static TheoryData<string> Cases => ["sgx", "tdx"];

    [Theory]
    [MemberData(nameof(Cases))]
    public void Every_byte_before_the_certificate_chain_is_covered(string kind)
    {
        var (quote, verify) = Vector(kind);
        var parsed = DcapQuote.Parse(quote);
        var chainStart = parsed.Length - parsed.CertificationData.Length;
        Assert.True(verify(quote).Verified);

        var accepted = Enumerable.Range(0, chainStart).Where(i => verify(QuoteBytes.Flip(quote, i)).Verified).ToList();

        Assert.True(accepted.Count == 0, $"flips accepted at offsets {string.Join(", ", accepted)}");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_sample_of_the_pck_and_ca_certificates_is_covered(string kind)
    {
        var (quote, verify) = Vector(kind);
        var parsed = DcapQuote.Parse(quote);
        var chainStart = parsed.Length - parsed.CertificationData.Length;
        var pem = Encoding.ASCII.GetString(parsed.CertificationData.Span);
        var sampled = CertificateBodies(pem).Take(2)
            .SelectMany(body => Enumerable.Range(body.Start, body.Length).Where(i => i % 7 == 0 && pem[i] != '\n'))
            .ToList();
        Assert.True(sampled.Count > 250, $"only {sampled.Count} positions sampled");

        var accepted = sampled.Where(i => verify(QuoteBytes.Flip(quote, chainStart + i)).Verified).ToList();

        Assert.True(accepted.Count == 0, $"flips accepted at PEM offsets {string.Join(", ", accepted)}");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Flips_in_unsigned_pem_bytes_never_throw(string kind)
    {
        var (quote, verify) = Vector(kind);
        var parsed = DcapQuote.Parse(quote);
        var chainStart = parsed.Length - parsed.CertificationData.Length;

        for (var i = chainStart; i < parsed.Length; i += 13)
        {
            var result = verify(QuoteBytes.Flip(quote, i));
            Assert.True(result.Verified || result.Failure is not null);
        }
    }

    [Fact]
    public void Flips_after_the_declared_signature_data_are_ignored()
    {
        var quote = TdxQuote();
        for (var i = 4935; i < quote.Length; i++)
        {
            Assert.True(VerifyTdx(QuoteBytes.Flip(quote, i), TdxTime).Verified);
        }
    }

    private static (byte[] Quote, Func<byte[], AttestationResult> Verify) Vector(string kind) => kind == "sgx"
        ? (SgxQuote(), q => VerifySgx(q, SgxTime))
        : (TdxQuote(), q => VerifyTdx(q, TdxTime));

    /// <summary>The base64 bodies of the PEM certificates, without their last line (which may carry unused bits).</summary>
    private static IEnumerable<(int Start, int Length)> CertificateBodies(string pem)
    {
        const string begin = "-----BEGIN CERTIFICATE-----\n";
        var at = 0;
        while ((at = pem.IndexOf(begin, at, StringComparison.Ordinal)) >= 0)
        {
            var start = at + begin.Length;
            var end = pem.IndexOf("-----END CERTIFICATE-----", start, StringComparison.Ordinal);
            var lastLine = pem.LastIndexOf('\n', end - 2);
            yield return (start, lastLine - start);
            at = end;
        }
    }
}
