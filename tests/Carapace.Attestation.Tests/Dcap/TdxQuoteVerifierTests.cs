using Carapace.Attestation.Dcap;
using static Carapace.Attestation.Tests.Dcap.DcapVectors;

namespace Carapace.Attestation.Tests.Dcap;

public sealed class TdxQuoteVerifierTests
{
    [Fact]
    public void Verify_accepts_the_tdx_vector_without_collateral_with_its_measurements()
    {
        var result = VerifyTdx(TdxQuote(), TdxTime);

        Assert.True(result.Verified, result.ToString());
        Assert.Equal(EvidenceKind.Tdx, result.Kind);
        Assert.Equal(TcbStatus.Unknown, result.TcbStatus);
        Assert.False(result.Debug);
        Assert.True(result.Signer.IsEmpty);
        Assert.Null(result.ProductId);
        Assert.Equal("6363b8043668a3ad953278e10389574d326c6749fb78aa810ecd9336923db86f22fc00b8dcd404bc10d5e119d7215cbb", Hex(result.Measurement));
        Assert.Equal(Hex(result.Measurement), result.ClaimNamed("mrtd").Display);
        Assert.Equal("2927da70461cd63266f43230cc1849c03ef25ebe490062a801d8fcc80af42976823adf08f833c1e50b51779c6593f32a", result.ClaimNamed("rtmr0").Display);
        Assert.Equal("2c700b8ba9b85783f8be9fb9443647bdc0bb3c50747f06297cc6538c25a5f589c4b56d035c59107c6bc5800db2cacb61", result.ClaimNamed("rtmr1").Display);
        Assert.Equal("8652f0caaba7e215ea442dc36a4499d8fec3362f3a0b2ca151cbe4b3e6466fe59c7368b3c2287fc7c3bf5c924eb4424e", result.ClaimNamed("rtmr2").Display);
        Assert.Equal(new string('0', 96), result.ClaimNamed("rtmr3").Display);
        Assert.Equal("03000400000000000000000000000000", result.ClaimNamed("teetcbsvn").Display);
        Assert.Equal("2fd279c16164a93dd5bf373d834328d46008c2b693af9ebb865b08b2ced320c9a89b4869a9fab60fbe9d0c5a5363c656", result.ClaimNamed("mrseam").Display);
        Assert.Equal(new string('0', 96), result.ClaimNamed("mrsignerseam").Display);
        Assert.Equal("0000004000000000", result.ClaimNamed("tdattributes").Display);
        Assert.Equal("e71a060000000000", result.ClaimNamed("xfam").Display);
        Assert.Equal("6c62dec1b8191749a31dab490be532a35944dea47caef1f980863993d9899545eb7406a38d1eed313b987a467dacead6f0c87a6d766c66f6f29f8acb281f1113", Hex(result.ReportData));
        Assert.Equal(Hex(result.ReportData), result.ClaimNamed("reportData").Display);
        Assert.Equal("50806f000000", result.ClaimNamed("fmspc").Display);
        Assert.Equal("dc9e2a7c6f948f17474e34a7fc43ed030f7c1563f1babddf6340c82e0e54a8c5", result.ClaimNamed("qemrsigner").Display);
        Assert.Equal(2ul, result.ClaimNamed("qeisvprodid").Number);
        Assert.Equal(4ul, result.ClaimNamed("qeisvsvn").Number);
        Assert.DoesNotContain(result.Claims, c => c.Name is "teetcbsvn2" or "mrservicetd");
        foreach (var name in new[] { "mrconfigid", "mrowner", "mrownerconfig" })
        {
            Assert.Equal(48, result.ClaimNamed(name).Bytes!.Length);
        }
    }

    [Fact]
    public void Verify_gives_the_same_result_without_go_tdx_guests_trailing_bytes()
    {
        var result = VerifyTdx(TdxQuoteExact(), TdxTime);

        Assert.True(result.Verified, result.ToString());
    }

    [Fact]
    public void Valid_period_without_collateral_is_the_pck_chains()
    {
        var result = VerifyTdx(TdxQuote(), TdxTime);

        Assert.Equal(Vectors.Utc("2022-09-20T13:20:31Z"), result.ValidFrom);
        Assert.Equal(Vectors.Utc("2029-09-20T13:20:31Z"), result.ValidUntil);
    }

    [Fact]
    public void Verify_rejects_the_quote_after_the_pck_certificates_expired()
    {
        var result = VerifyTdx(TdxQuote(), Far);

        Assert.Equal(AttestationFailureReason.Expired, result.Failure?.Reason);
    }

    [Fact]
    public void Verify_rejects_the_quote_before_the_pck_certificate_was_issued()
    {
        var result = VerifyTdx(TdxQuote(), Vectors.Utc("2022-01-01T00:00:00Z"));

        Assert.Equal(AttestationFailureReason.NotYetValid, result.Failure?.Reason);
    }

    [Fact]
    public void Verify_with_collateral_finds_no_matching_tcb_level_as_go_tdx_guest_does()
    {
        var result = VerifyTdx(TdxQuote(), TdxTime, TdxCollateral());

        Assert.Equal(AttestationFailureReason.TcbRejected, result.Failure?.Reason);
        Assert.StartsWith("no matching TCB level", result.Failure!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_with_collateral_long_after_it_expired_fails_as_expired()
    {
        var result = VerifyTdx(TdxQuote(), Far, TdxCollateral());

        Assert.Equal(AttestationFailureReason.Expired, result.Failure?.Reason);
    }

    [Fact]
    public void Verify_with_collateral_after_the_qe_identity_expired_names_it()
    {
        var result = VerifyTdx(TdxQuote(), Vectors.Utc("2023-07-08T07:26:00Z"), TdxCollateral());

        Assert.Equal(AttestationFailureReason.Expired, result.Failure?.Reason);
        Assert.Contains("QE identity", result.Failure!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_rejects_collateral_of_another_platform_as_an_fmspc_mismatch()
    {
        var result = VerifyTdx(TdxQuote(), TdxTime, SgxCollateral());

        Assert.Equal(AttestationFailureReason.CollateralMismatch, result.Failure?.Reason);
        Assert.Contains("FMSPC", result.Failure!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_rejects_an_sgx_quote_with_a_hint()
    {
        var result = VerifyTdx(SgxQuote(), SgxTime);

        Assert.Equal(AttestationFailureReason.UnsupportedVersion, result.Failure?.Reason);
        Assert.Contains("'sgx'", result.Failure!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_rejects_tampered_tcb_info_text()
    {
        var collateral = TdxCollateral();
        var tampered = collateral.TcbInfo.Replace("\"pcesvn\":11", "\"pcesvn\":1", StringComparison.Ordinal);
        Assert.NotEqual(collateral.TcbInfo, tampered);

        var result = VerifyTdx(TdxQuote(), TdxTime, collateral.With(tcbInfo: tampered));

        Assert.Equal(AttestationFailureReason.BadSignature, result.Failure?.Reason);
    }

    [Fact]
    public void Verify_rejects_other_report_data_than_expected()
    {
        var result = new TdxQuoteVerifier().Verify(TdxQuote(), new VerificationOptions { At = TdxTime, ExpectedReportData = new byte[64] });

        Assert.Equal(AttestationFailureReason.ReportDataMismatch, result.Failure?.Reason);
    }
}
