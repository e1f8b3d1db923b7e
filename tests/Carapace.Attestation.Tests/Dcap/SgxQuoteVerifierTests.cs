using Carapace.Attestation.Dcap;
using static Carapace.Attestation.Tests.Dcap.DcapVectors;

namespace Carapace.Attestation.Tests.Dcap;

public sealed class SgxQuoteVerifierTests
{
    [Fact]
    public void Verify_accepts_the_sgx_vector_with_collateral_and_reports_intels_tcb_status()
    {
        var result = VerifySgx(SgxQuote(), SgxTime, SgxCollateral());

        Assert.True(result.Verified, result.ToString());
        Assert.Equal(EvidenceKind.Sgx, result.Kind);
        Assert.Equal(TcbStatus.ConfigurationAndSWHardeningNeeded, result.TcbStatus);
        Assert.Equal(["INTEL-SA-00289", "INTEL-SA-00615"], result.Advisories);
        Assert.Equal("2024-03-13T00:00:00Z", result.ClaimNamed("tcbdate").Text);
    }

    [Fact]
    public void Verify_reports_the_sgx_vectors_measurements_and_identity()
    {
        var result = VerifySgx(SgxQuote(), SgxTime);

        Assert.True(result.Verified, result.ToString());
        Assert.False(result.Insecure);
        Assert.False(result.Debug);
        Assert.Equal("33d8736db756ed4997e04ba358d27833188f1932ff7b1d156904d3f560452fbb", Hex(result.Measurement));
        Assert.Equal("815f42f11cf64430c30bab7816ba596a1da0130c3b028b673133a66cf9a3e0e6", Hex(result.Signer));
        Assert.Equal((ushort)0, result.ProductId);
        Assert.Equal(0u, result.SecurityVersion);
        Assert.Equal("Hello, world!"u8.ToArray().Concat(new byte[51]).ToArray(), result.ReportData.ToArray());
        Assert.Equal("33d8736db756ed4997e04ba358d27833188f1932ff7b1d156904d3f560452fbb", result.ClaimNamed("mrenclave").Display);
        Assert.Equal("815f42f11cf64430c30bab7816ba596a1da0130c3b028b673133a66cf9a3e0e6", result.ClaimNamed("mrsigner").Display);
        Assert.Equal("0500000000000000e700000000000000", result.ClaimNamed("attributes").Display);
        Assert.Equal(0ul, result.ClaimNamed("isvprodid").Number);
        Assert.Equal(0ul, result.ClaimNamed("isvsvn").Number);
        Assert.Equal("00a067110000", result.ClaimNamed("fmspc").Display);
        Assert.Equal("0000", result.ClaimNamed("pceid").Display);
        Assert.Equal("0b0b0202ff0100000000000000000000", result.ClaimNamed("pcktcbcomponents").Display);
        Assert.Equal(13ul, result.ClaimNamed("pckpcesvn").Number);
        Assert.Equal("8c4f5775d796503e96137f77c68a829a0056ac8ded70140b081b094490c57bff", result.ClaimNamed("qemrsigner").Display);
        Assert.Equal(1ul, result.ClaimNamed("qeisvprodid").Number);
        Assert.Equal(10ul, result.ClaimNamed("qeisvsvn").Number);
        Assert.Equal(Hex(result.ReportData), result.ClaimNamed("reportData").Display);
    }

    [Fact]
    public void Verify_without_collateral_leaves_the_tcb_status_unknown()
    {
        var result = VerifySgx(SgxQuote(), SgxTime);

        Assert.True(result.Verified, result.ToString());
        Assert.Equal(TcbStatus.Unknown, result.TcbStatus);
        Assert.Empty(result.Advisories);
        Assert.DoesNotContain(result.Claims, c => c.Name == "tcbdate");
    }

    [Fact]
    public void Valid_period_without_collateral_is_the_pck_chains()
    {
        var result = VerifySgx(SgxQuote(), SgxTime);

        Assert.Equal(Vectors.Utc("2023-09-20T21:53:43Z"), result.ValidFrom);
        Assert.Equal(Vectors.Utc("2030-09-20T21:53:43Z"), result.ValidUntil);
    }

    [Fact]
    public void Valid_period_with_collateral_is_the_intersection_of_every_window()
    {
        var result = VerifySgx(SgxQuote(), SgxTime, SgxCollateral());

        Assert.Equal(Vectors.Utc("2025-06-19T10:56:11Z"), result.ValidFrom);
        Assert.Equal(Vectors.Utc("2025-07-19T10:01:18Z"), result.ValidUntil);
    }

    [Theory]
    [InlineData("2025-06-19T10:56:11Z")]
    [InlineData("2025-07-19T10:01:18Z")]
    public void Verify_accepts_the_collateral_at_both_ends_of_its_window(string at)
    {
        Assert.True(VerifySgx(SgxQuote(), Vectors.Utc(at), SgxCollateral()).Verified);
    }

    [Fact]
    public void Verify_rejects_the_quote_after_the_pck_certificate_expired()
    {
        var result = VerifySgx(SgxQuote(), Far);

        Assert.Equal(AttestationFailureReason.Expired, result.Failure?.Reason);
        Assert.Contains("PCK", result.Failure!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_rejects_the_quote_before_the_pck_certificate_was_issued()
    {
        var result = VerifySgx(SgxQuote(), Vectors.Utc("2023-09-01T00:00:00Z"));

        Assert.Equal(AttestationFailureReason.NotYetValid, result.Failure?.Reason);
    }

    [Fact]
    public void Verify_rejects_expired_qe_identity_and_names_it()
    {
        var result = VerifySgx(SgxQuote(), Vectors.Utc("2025-07-19T10:10:00Z"), SgxCollateral());

        Assert.Equal(AttestationFailureReason.Expired, result.Failure?.Reason);
        Assert.Contains("QE identity", result.Failure!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_rejects_tcb_info_that_is_not_yet_valid_and_names_it()
    {
        var result = VerifySgx(SgxQuote(), Vectors.Utc("2025-06-19T10:30:00Z"), SgxCollateral());

        Assert.Equal(AttestationFailureReason.NotYetValid, result.Failure?.Reason);
        Assert.Contains("TCB info", result.Failure!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_rejects_collateral_long_expired()
    {
        var result = VerifySgx(SgxQuote(), Vectors.Utc("2026-06-01T00:00:00Z"), SgxCollateral());

        Assert.Equal(AttestationFailureReason.Expired, result.Failure?.Reason);
    }

    [Fact]
    public void Verify_rejects_a_tdx_quote_with_a_hint()
    {
        var result = VerifySgx(TdxQuote(), TdxTime);

        Assert.Equal(AttestationFailureReason.UnsupportedVersion, result.Failure?.Reason);
        Assert.Contains("'tdx'", result.Failure!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_rejects_collateral_of_another_platform_as_an_fmspc_mismatch()
    {
        var result = VerifySgx(SgxQuote(), SgxTime, TdxCollateral());

        Assert.Equal(AttestationFailureReason.CollateralMismatch, result.Failure?.Reason);
        Assert.Contains("FMSPC", result.Failure!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_rejects_tampered_tcb_info_text()
    {
        var collateral = SgxCollateral();
        var tampered = collateral.TcbInfo.Replace("\"ConfigurationAndSWHardeningNeeded\"", "\"UpToDate\"", StringComparison.Ordinal);
        Assert.NotEqual(collateral.TcbInfo, tampered);

        var result = VerifySgx(SgxQuote(), SgxTime, collateral.With(tcbInfo: tampered));

        Assert.Equal(AttestationFailureReason.BadSignature, result.Failure?.Reason);
        Assert.Contains("TCB info", result.Failure!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_rejects_a_tcb_info_signature_made_for_other_text()
    {
        var collateral = SgxCollateral();

        var result = VerifySgx(SgxQuote(), SgxTime, collateral.With(tcbInfoSignature: collateral.QeIdentitySignature));

        Assert.Equal(AttestationFailureReason.BadSignature, result.Failure?.Reason);
    }

    [Fact]
    public void Verify_rejects_tampered_qe_identity_text()
    {
        var collateral = SgxCollateral();
        var tampered = collateral.QeIdentity.Replace("\"isvsvn\":8", "\"isvsvn\":7", StringComparison.Ordinal);
        Assert.NotEqual(collateral.QeIdentity, tampered);

        var result = VerifySgx(SgxQuote(), SgxTime, collateral.With(qeIdentity: tampered));

        Assert.Equal(AttestationFailureReason.BadSignature, result.Failure?.Reason);
        Assert.Contains("QE identity", result.Failure!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_rejects_a_pck_crl_from_another_ca()
    {
        var result = VerifySgx(SgxQuote(), SgxTime, SgxCollateral().With(pckCrl: TdxCollateral().PckCrl));

        Assert.Equal(AttestationFailureReason.CollateralMismatch, result.Failure?.Reason);
        Assert.Contains("PCK CRL", result.Failure!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_rejects_a_crl_with_a_flipped_signature_byte()
    {
        var collateral = SgxCollateral();
        var crl = (byte[])collateral.RootCaCrl.Clone();
        crl[^5] ^= 0x01;

        var result = VerifySgx(SgxQuote(), SgxTime, collateral.With(rootCaCrl: crl));

        Assert.False(result.Verified);
        Assert.Contains(result.Failure!.Reason, new[] { AttestationFailureReason.BadSignature, AttestationFailureReason.Malformed });
    }

    [Fact]
    public void Verify_rejects_a_tcb_info_signed_by_a_certificate_that_is_not_a_tcb_signing_certificate()
    {
        var collateral = SgxCollateral();

        var result = VerifySgx(SgxQuote(), SgxTime, collateral.With(tcbInfoIssuerChain: collateral.PckCrlIssuerChain));

        Assert.Equal(AttestationFailureReason.BrokenChain, result.Failure?.Reason);
    }

    [Fact]
    public void Verify_rejects_other_report_data_than_expected()
    {
        var expected = new byte[64];
        var result = new SgxQuoteVerifier().Verify(SgxQuote(), new VerificationOptions { At = SgxTime, ExpectedReportData = expected });

        Assert.Equal(AttestationFailureReason.ReportDataMismatch, result.Failure?.Reason);
    }

    [Fact]
    public void Verify_accepts_the_report_data_it_was_told_to_expect()
    {
        var quote = DcapQuote.Parse(SgxQuote());
        var result = new SgxQuoteVerifier().Verify(SgxQuote(), new VerificationOptions { At = SgxTime, ExpectedReportData = quote.ReportData.ToArray() });

        Assert.True(result.Verified, result.ToString());
    }

    [Fact]
    public void Verify_rejects_a_chain_to_a_root_that_is_not_pinned()
    {
        var otherRoot = Vectors.Pem("nitro/aws_nitro_root_g1.pem");
        var result = new SgxQuoteVerifier().Verify(SgxQuote(), new VerificationOptions { At = SgxTime, Roots = TrustAnchors.Custom([otherRoot]) });

        Assert.Equal(AttestationFailureReason.BrokenChain, result.Failure?.Reason);
    }
}
