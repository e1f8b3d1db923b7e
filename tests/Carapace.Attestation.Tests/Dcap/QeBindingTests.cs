using Carapace.Attestation.Dcap;
using static Carapace.Attestation.Tests.Dcap.DcapVectors;

namespace Carapace.Attestation.Tests.Dcap;

/// <summary>The QE report must bind the attestation key: REPORTDATA = SHA-256(attestation key ‖ QE auth data) ‖ 32 zeros.</summary>
public sealed class QeBindingTests
{
    public static TheoryData<string> Cases => ["sgx", "tdx"];

    [Theory]
    [MemberData(nameof(Cases))]
    public void The_vectors_qe_reports_bind_their_attestation_keys(string kind)
    {
        var quote = Parse(kind);

        Assert.True(QuoteSignatures.BindsAttestationKey(quote.QeEnclaveReport.ReportData.Span, quote.AttestationKey.Span, quote.QeAuthData.Span));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Another_attestation_key_is_not_bound(string kind)
    {
        var quote = Parse(kind);
        var key = quote.AttestationKey.ToArray();
        key[17] ^= 0x01;

        Assert.False(QuoteSignatures.BindsAttestationKey(quote.QeEnclaveReport.ReportData.Span, key, quote.QeAuthData.Span));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Other_auth_data_is_not_bound(string kind)
    {
        var quote = Parse(kind);
        var authData = quote.QeAuthData.ToArray();
        authData[0] ^= 0x01;

        Assert.False(QuoteSignatures.BindsAttestationKey(quote.QeEnclaveReport.ReportData.Span, quote.AttestationKey.Span, authData));
        Assert.False(QuoteSignatures.BindsAttestationKey(quote.QeEnclaveReport.ReportData.Span, quote.AttestationKey.Span, authData[..^1]));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Report_data_with_anything_after_the_hash_does_not_bind(string kind)
    {
        var quote = Parse(kind);
        var reportData = quote.QeEnclaveReport.ReportData.ToArray();
        reportData[63] = 0x01;

        Assert.False(QuoteSignatures.BindsAttestationKey(reportData, quote.AttestationKey.Span, quote.QeAuthData.Span));
        Assert.False(QuoteSignatures.BindsAttestationKey(reportData[..32], quote.AttestationKey.Span, quote.QeAuthData.Span));
    }

    [Fact]
    public void Verify_rejects_the_vector_with_flipped_auth_data()
    {
        var quote = SgxQuote();
        var authDataOffset = 48 + 384 + 4 + 64 + 64 + 384 + 64 + 2;

        var result = VerifySgx(QuoteBytes.Flip(quote, authDataOffset + 5), SgxTime);

        Assert.Equal(AttestationFailureReason.BadSignature, result.Failure?.Reason);
        Assert.Contains("does not bind", result.Failure!.Message, StringComparison.Ordinal);
    }

    private static DcapQuote Parse(string kind) => DcapQuote.Parse(kind == "sgx" ? SgxQuote() : TdxQuote());
}
