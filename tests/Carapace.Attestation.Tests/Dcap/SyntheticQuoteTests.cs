using Carapace.Attestation.Dcap;
using static Carapace.Tests.FakeTee.SyntheticQuote;

namespace Carapace.Attestation.Tests.Dcap;

/// <summary>End-to-end checks on quotes signed by a test PKI, for what the public vectors do not exercise.</summary>
public sealed class SyntheticQuoteTests : IDisposable
{
    private readonly TestPki _pki = TestPki.Create(SgxComponents, PceSvn);

    public void Dispose() => _pki.Dispose();

    [Theory]
    [InlineData(3, 0)]
    [InlineData(4, 0)]
    [InlineData(5, 0)]
    public void Sgx_verifier_accepts_sgx_quotes_of_every_version(int version, uint teeType)
    {
        var result = Verify(new SgxQuoteVerifier(), new SyntheticQuote { Version = (ushort)version, TeeType = teeType });

        Assert.True(result.Verified, result.ToString());
        Assert.Equal(EvidenceKind.Sgx, result.Kind);
        Assert.Equal(Enumerable.Repeat((byte)0xaa, 32), result.Measurement.ToArray());
        Assert.Equal(Enumerable.Repeat((byte)0xbb, 32), result.Signer.ToArray());
        Assert.Equal((ushort)7, result.ProductId);
        Assert.Equal(3u, result.SecurityVersion);
        Assert.False(result.Debug);
        Assert.Equal((ulong)version, result.Claims.Single(c => c.Name == "version").Number);
    }

    [Theory]
    [InlineData(4, false)]
    [InlineData(5, false)]
    [InlineData(5, true)]
    public void Tdx_verifier_accepts_tdx_quotes_of_every_version_and_body(int version, bool tdx15)
    {
        var result = Verify(new TdxQuoteVerifier(), Tdx(version, tdx15), Collateral(_pki, tdx: true));

        Assert.True(result.Verified, result.ToString());
        Assert.Equal(TcbStatus.UpToDate, result.TcbStatus);
        Assert.Equal(Enumerable.Repeat((byte)0x7d, 48), result.Measurement.ToArray());
        Assert.Equal(Enumerable.Repeat((byte)0xa3, 48), result.Claims.Single(c => c.Name == "rtmr3").Bytes);
        Assert.Equal(tdx15, result.Claims.Any(c => c.Name == "mrservicetd"));
        if (tdx15)
        {
            Assert.Equal(Enumerable.Repeat((byte)0x5d, 48), result.Claims.Single(c => c.Name == "mrservicetd").Bytes);
            Assert.Equal(9, result.Claims.Single(c => c.Name == "teetcbsvn2").Bytes![0]);
        }
    }

    [Fact]
    public void Version_5_sgx_quote_is_rejected_by_the_tdx_verifier()
    {
        var result = Verify(new TdxQuoteVerifier(), new SyntheticQuote { Version = 5 });

        Assert.Equal(AttestationFailureReason.UnsupportedVersion, result.Failure?.Reason);
    }

    [Fact]
    public void Sgx_quote_with_up_to_date_collateral_is_up_to_date()
    {
        var result = Verify(new SgxQuoteVerifier(), new SyntheticQuote(), Collateral(_pki));

        Assert.True(result.Verified, result.ToString());
        Assert.Equal(TcbStatus.UpToDate, result.TcbStatus);
        Assert.Empty(result.Advisories);
        Assert.Equal(17ul, result.Claims.Single(c => c.Name == "tcbevaluationdatanumber").Number);
    }

    [Fact]
    public void Debug_enclave_is_reported_as_debug()
    {
        Assert.True(Verify(new SgxQuoteVerifier(), new SyntheticQuote { Body = SgxBody(debug: true) }).Debug);
    }

    [Fact]
    public void Debug_td_is_reported_as_debug()
    {
        var result = Verify(new TdxQuoteVerifier(), Tdx(debug: true));

        Assert.True(result.Verified, result.ToString());
        Assert.True(result.Debug);
    }

    [Fact]
    public void Qe_report_that_does_not_bind_the_attestation_key_is_rejected_even_when_the_pck_signed_it()
    {
        var result = Verify(new SgxQuoteVerifier(), new SyntheticQuote { TamperQeReport = report => report[0x140] ^= 0x01 });

        Assert.Equal(AttestationFailureReason.BadSignature, result.Failure?.Reason);
        Assert.Contains("does not bind", result.Failure!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Qe_report_data_with_a_non_zero_second_half_is_rejected()
    {
        var result = Verify(new SgxQuoteVerifier(), new SyntheticQuote { TamperQeReport = report => report[0x17f] = 0x01 });

        Assert.Equal(AttestationFailureReason.BadSignature, result.Failure?.Reason);
    }

    [Fact]
    public void Certification_data_other_than_a_pem_chain_is_unsupported()
    {
        var result = Verify(new SgxQuoteVerifier(), new SyntheticQuote { CertificationDataType = 3 });

        Assert.Equal(AttestationFailureReason.UnsupportedVersion, result.Failure?.Reason);
        Assert.Contains("certification data type 3", result.Failure!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Pck_chain_whose_leaf_is_not_a_pck_certificate_is_broken()
    {
        using var pki = TestPki.Create(SgxComponents, PceSvn, pckName: "CN=Test Something Else");
        var result = new SgxQuoteVerifier().Verify(new SyntheticQuote().Build(pki), new VerificationOptions { At = Time, Roots = pki.Anchors });

        Assert.Equal(AttestationFailureReason.BrokenChain, result.Failure?.Reason);
    }

    [Fact]
    public void Revoked_pck_certificate_is_rejected()
    {
        var crl = TestPki.Crl(_pki.PckCa, Vectors.Utc("2029-06-01T00:00:00Z"), Vectors.Utc("2031-06-01T00:00:00Z"), _pki.Pck);

        var result = Verify(new SgxQuoteVerifier(), new SyntheticQuote(), Collateral(_pki, pckCrl: crl));

        Assert.Equal(AttestationFailureReason.Revoked, result.Failure?.Reason);
        Assert.Contains("PCK", result.Failure!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Revoked_pck_ca_is_rejected()
    {
        var crl = TestPki.Crl(_pki.Root, Vectors.Utc("2029-06-01T00:00:00Z"), Vectors.Utc("2031-06-01T00:00:00Z"), _pki.PckCa);

        var result = Verify(new SgxQuoteVerifier(), new SyntheticQuote(), Collateral(_pki, rootCrl: crl));

        Assert.Equal(AttestationFailureReason.Revoked, result.Failure?.Reason);
    }

    [Fact]
    public void Revoked_tcb_signing_certificate_is_rejected()
    {
        var crl = TestPki.Crl(_pki.Root, Vectors.Utc("2029-06-01T00:00:00Z"), Vectors.Utc("2031-06-01T00:00:00Z"), _pki.TcbSigner);

        var result = Verify(new SgxQuoteVerifier(), new SyntheticQuote(), Collateral(_pki, rootCrl: crl));

        Assert.Equal(AttestationFailureReason.Revoked, result.Failure?.Reason);
        Assert.Contains("TCB info signing", result.Failure!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Pck_crl_from_another_issuer_is_a_mismatch()
    {
        var crl = TestPki.Crl(_pki.Root, Vectors.Utc("2029-06-01T00:00:00Z"), Vectors.Utc("2031-06-01T00:00:00Z"));

        var result = Verify(new SgxQuoteVerifier(), new SyntheticQuote(), Collateral(_pki, pckCrl: crl));

        Assert.Equal(AttestationFailureReason.CollateralMismatch, result.Failure?.Reason);
    }

    [Fact]
    public void Pck_crl_signed_by_an_impostor_with_the_same_name_is_a_bad_signature()
    {
        using var impostor = TestPki.Create(SgxComponents, PceSvn);
        var crl = TestPki.Crl(impostor.PckCa, Vectors.Utc("2029-06-01T00:00:00Z"), Vectors.Utc("2031-06-01T00:00:00Z"));

        var result = Verify(new SgxQuoteVerifier(), new SyntheticQuote(), Collateral(_pki, pckCrl: crl));

        Assert.Equal(AttestationFailureReason.BadSignature, result.Failure?.Reason);
        Assert.Contains("PCK CRL", result.Failure!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Expired_pck_crl_is_named()
    {
        var crl = TestPki.Crl(_pki.PckCa, Vectors.Utc("2029-06-01T00:00:00Z"), Vectors.Utc("2029-12-01T00:00:00Z"));

        var result = Verify(new SgxQuoteVerifier(), new SyntheticQuote(), Collateral(_pki, pckCrl: crl));

        Assert.Equal(AttestationFailureReason.Expired, result.Failure?.Reason);
        Assert.Contains("PCK CRL", result.Failure!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Revoked_tcb_level_is_rejected()
    {
        var result = Verify(new SgxQuoteVerifier(), new SyntheticQuote(), Collateral(_pki, tcbLevels: [Level(SgxComponents, PceSvn, null, "Revoked")]));

        Assert.Equal(AttestationFailureReason.Revoked, result.Failure?.Reason);
        Assert.Contains("platform", result.Failure!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Revoked_quoting_enclave_level_is_rejected()
    {
        var result = Verify(new SgxQuoteVerifier(), new SyntheticQuote(), Collateral(_pki, qeLevels: [QeLevel(8, "Revoked")]));

        Assert.Equal(AttestationFailureReason.Revoked, result.Failure?.Reason);
        Assert.Contains("quoting enclave", result.Failure!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Out_of_date_quoting_enclave_makes_the_platform_out_of_date_and_adds_its_advisories()
    {
        var collateral = Collateral(
            _pki,
            tcbLevels: [Level(SgxComponents, PceSvn, null, "SWHardeningNeeded", "INTEL-SA-00001", "INTEL-SA-00002")],
            qeLevels: [QeLevel(12, "UpToDate"), QeLevel(9, "OutOfDate", "INTEL-SA-00002", "INTEL-SA-00003")]);

        var result = Verify(new SgxQuoteVerifier(), new SyntheticQuote(), collateral);

        Assert.True(result.Verified, result.ToString());
        Assert.Equal(TcbStatus.OutOfDate, result.TcbStatus);
        Assert.Equal(["INTEL-SA-00001", "INTEL-SA-00002", "INTEL-SA-00003"], result.Advisories);
    }

    [Fact]
    public void Out_of_date_quoting_enclave_on_a_platform_needing_configuration_is_out_of_date_configuration_needed()
    {
        var collateral = Collateral(
            _pki,
            tcbLevels: [Level(SgxComponents, PceSvn, null, "ConfigurationNeeded")],
            qeLevels: [QeLevel(12, "UpToDate"), QeLevel(9, "OutOfDate")]);

        Assert.Equal(TcbStatus.OutOfDateConfigurationNeeded, Verify(new SgxQuoteVerifier(), new SyntheticQuote(), collateral).TcbStatus);
    }

    [Fact]
    public void Quoting_enclave_below_every_identity_level_is_rejected()
    {
        var result = Verify(new SgxQuoteVerifier(), new SyntheticQuote(), Collateral(_pki, qeLevels: [QeLevel(11, "UpToDate")]));

        Assert.Equal(AttestationFailureReason.TcbRejected, result.Failure?.Reason);
        Assert.Contains("ISVSVN 10", result.Failure!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Quoting_enclave_of_another_signer_is_a_collateral_mismatch()
    {
        var result = Verify(new SgxQuoteVerifier(), new SyntheticQuote(), Collateral(_pki, qeMrSigner: new byte[32]));

        Assert.Equal(AttestationFailureReason.CollateralMismatch, result.Failure?.Reason);
        Assert.Contains("MRSIGNER", result.Failure!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Tdx_tcb_info_for_an_sgx_quote_is_a_collateral_mismatch()
    {
        var result = Verify(new SgxQuoteVerifier(), new SyntheticQuote(), Collateral(_pki, tdx: true));

        Assert.Equal(AttestationFailureReason.CollateralMismatch, result.Failure?.Reason);
        Assert.Contains("'TDX'", result.Failure!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Sgx_tcb_level_is_the_first_whose_every_component_the_platform_reaches()
    {
        byte[] higher = [12, 11, 2, 2, 255, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        byte[] lexicographicallyLower = [10, 12, 2, 2, 255, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        var collateral = Collateral(_pki, tcbLevels:
        [
            Level(higher, PceSvn, null, "UpToDate"),
            Level(SgxComponents, PceSvn + 1, null, "SWHardeningNeeded"),
            Level(lexicographicallyLower, PceSvn, null, "ConfigurationNeeded"),
            Level(SgxComponents, PceSvn, null, "OutOfDate", "INTEL-SA-00100"),
        ]);

        var result = Verify(new SgxQuoteVerifier(), new SyntheticQuote(), collateral);

        Assert.Equal(TcbStatus.OutOfDate, result.TcbStatus);
        Assert.Equal(["INTEL-SA-00100"], result.Advisories);
    }

    [Fact]
    public void Tdx_platform_whose_tee_tcb_svn_is_below_every_level_has_no_matching_level()
    {
        var collateral = Collateral(_pki, tdx: true, tcbLevels: [Level(SgxComponents, PceSvn, TdxComponents(4, 0), "UpToDate")]);

        var result = Verify(new TdxQuoteVerifier(), Tdx(), collateral);

        Assert.Equal(AttestationFailureReason.TcbRejected, result.Failure?.Reason);
        Assert.StartsWith("no matching TCB level", result.Failure!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Tdx_level_is_the_first_whose_tdx_components_the_td_reaches()
    {
        var collateral = Collateral(_pki, tdx: true, tcbLevels:
        [
            Level(SgxComponents, PceSvn, TdxComponents(4, 0), "UpToDate"),
            Level(SgxComponents, PceSvn, TdxComponents(3, 0), "SWHardeningNeeded", "INTEL-SA-00200"),
        ]);

        var result = Verify(new TdxQuoteVerifier(), Tdx(), collateral);

        Assert.Equal(TcbStatus.SWHardeningNeeded, result.TcbStatus);
        Assert.Equal(["INTEL-SA-00200"], result.Advisories);
    }

    [Fact]
    public void Tdx_module_with_a_major_version_is_judged_by_its_module_identity()
    {
        var identities = new[]
        {
            new
            {
                id = "TDX_01",
                mrsigner = new string('0', 96),
                attributes = "0000000000000000",
                attributesMask = "FFFFFFFFFFFFFFFF",
                tcbLevels = new[] { QeLevel(5, "UpToDate"), QeLevel(2, "OutOfDate", "INTEL-SA-00300") },
            },
        };
        var collateral = Collateral(_pki, tdx: true, tdxModuleIdentities: identities, tcbLevels:
        [
            Level(SgxComponents, PceSvn, [99, 99, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], "UpToDate"),
        ]);

        var result = Verify(new TdxQuoteVerifier(), Tdx(moduleMajor: 1, moduleSvn: 3), collateral);

        Assert.True(result.Verified, result.ToString());
        Assert.Equal(TcbStatus.OutOfDate, result.TcbStatus);
        Assert.Equal(["INTEL-SA-00300"], result.Advisories);
    }

    [Fact]
    public void Tdx_module_major_version_without_an_identity_is_a_collateral_mismatch()
    {
        var result = Verify(new TdxQuoteVerifier(), Tdx(moduleMajor: 2), Collateral(_pki, tdx: true));

        Assert.Equal(AttestationFailureReason.CollateralMismatch, result.Failure?.Reason);
        Assert.Contains("TDX_02", result.Failure!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Tdx_module_of_another_signer_is_a_collateral_mismatch()
    {
        var quote = Tdx();
        quote.Body[0x40] = 0x01;

        var result = Verify(new TdxQuoteVerifier(), quote, Collateral(_pki, tdx: true));

        Assert.Equal(AttestationFailureReason.CollateralMismatch, result.Failure?.Reason);
        Assert.Contains("MRSIGNERSEAM", result.Failure!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Tdx_module_with_seam_attributes_set_is_a_collateral_mismatch()
    {
        var quote = Tdx();
        quote.Body[0x70] = 0x01;

        var result = Verify(new TdxQuoteVerifier(), quote, Collateral(_pki, tdx: true));

        Assert.Equal(AttestationFailureReason.CollateralMismatch, result.Failure?.Reason);
        Assert.Contains("SEAMATTRIBUTES", result.Failure!.Message, StringComparison.Ordinal);
    }

    private AttestationResult Verify(EvidenceVerifier verifier, SyntheticQuote quote, DcapCollateral? collateral = null) =>
        verifier.Verify(quote.Build(_pki), new VerificationOptions { At = Time, Roots = _pki.Anchors, DcapCollateral = collateral });
}
