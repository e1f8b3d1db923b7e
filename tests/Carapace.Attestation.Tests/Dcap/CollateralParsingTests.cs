using Carapace.Attestation.Dcap;
using static Carapace.Attestation.Tests.Dcap.DcapVectors;

namespace Carapace.Attestation.Tests.Dcap;

public sealed class CollateralParsingTests
{
    [Theory]
    [InlineData("{\"pck_crl_issuer_chain\": \"\\ud800\"}", "DCAP collateral field 'pck_crl_issuer_chain'")]
    [InlineData("{\"pck_crl_issuer_chain\": \"x\", \"root_ca_crl\": \"00\\udc00\"}", "DCAP collateral field 'root_ca_crl'")]
    public void A_lone_surrogate_escape_in_collateral_is_malformed(string json, string field)
    {
        // Found by fuzzing (fuzz/crashes/dcap-collateral): JSON allows "\ud800", which no .NET string can hold, and
        // reading it threw InvalidOperationException instead of the parser's AttestationException.
        var error = Assert.Throws<AttestationException>(() => DcapCollateral.Parse(System.Text.Encoding.UTF8.GetBytes(json)));

        Assert.Equal(AttestationFailureReason.Malformed, error.Reason);
        Assert.Contains(field + " contains an invalid escaped character (a lone surrogate)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_lone_surrogate_escape_in_tcb_info_or_qe_identity_is_malformed()
    {
        var qe = Assert.Throws<AttestationException>(() => QeIdentity.Parse("{\"version\": 2, \"id\": \"\\ud800\"}"));
        var tcb = Assert.Throws<AttestationException>(() => TcbInfo.Parse("{\"version\": 3, \"tcbType\": 0, \"id\": \"\\udfff\"}"));

        Assert.Contains("QE identity field 'id' contains an invalid escaped character", qe.Message, StringComparison.Ordinal);
        Assert.Contains("TCB info field 'id' contains an invalid escaped character", tcb.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Reads_the_sgx_tcb_info()
    {
        var info = TcbInfo.Parse(SgxCollateral().TcbInfo);

        Assert.Equal("SGX", info.Id);
        Assert.Equal(3, info.Version);
        Assert.Equal("00a067110000", Convert.ToHexStringLower(info.Fmspc));
        Assert.Equal(Vectors.Utc("2025-06-19T10:56:11Z"), info.Window.From);
        Assert.Equal(Vectors.Utc("2025-07-19T10:56:11Z"), info.Window.Until);
        Assert.Equal(17, info.EvaluationDataNumber);
        Assert.Equal(11, info.Levels.Count);
        Assert.Equal("SWHardeningNeeded", info.Levels[0].Status);
        Assert.Equal(12, info.Levels[0].SgxComponents[6]);
        Assert.Null(info.Levels[0].TdxComponents);
        Assert.Null(info.TdxModule);
    }

    [Fact]
    public void Reads_the_tdx_tcb_info_with_its_module_identity()
    {
        var info = TcbInfo.Parse(TdxCollateral().TcbInfo);

        Assert.Equal("TDX", info.Id);
        Assert.Equal(new byte[48], info.TdxModule!.MrSigner);
        Assert.Empty(info.TdxModuleIdentities);
        Assert.Equal(new byte[] { 3, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, info.Levels[0].TdxComponents);
        Assert.Equal(13, info.Levels[1].Advisories.Count);
    }

    [Fact]
    public void Reads_a_version_2_tcb_info_as_sgx()
    {
        var components = string.Join(",", Enumerable.Range(1, 16).Select(i => $"\"sgxtcbcomp{i:00}svn\":{i}"));
        var json = "{\"version\":2,\"issueDate\":\"2025-01-01T00:00:00Z\",\"nextUpdate\":\"2025-02-01T00:00:00Z\",\"fmspc\":\"00906EA10000\","
            + "\"pceId\":\"0000\",\"tcbType\":0,\"tcbEvaluationDataNumber\":5,\"tcbLevels\":[{\"tcb\":{" + components + ",\"pcesvn\":9},"
            + "\"tcbDate\":\"2024-01-01T00:00:00Z\",\"tcbStatus\":\"UpToDate\"}]}";

        var info = TcbInfo.Parse(json);

        Assert.Equal("SGX", info.Id);
        Assert.Equal(Enumerable.Range(1, 16).Select(i => (byte)i), info.Levels[0].SgxComponents);
        Assert.Equal(9, info.Levels[0].PceSvn);
        Assert.Empty(info.Levels[0].Advisories);
    }

    [Fact]
    public void Reads_the_qe_identities()
    {
        var sgx = QeIdentity.Parse(SgxCollateral().QeIdentity);
        var tdx = QeIdentity.Parse(TdxCollateral().QeIdentity);

        Assert.Equal("QE", sgx.Id);
        Assert.Equal("TD_QE", tdx.Id);
        Assert.Equal(0xffffffffu, sgx.MiscSelectMask);
        Assert.Equal("8c4f5775d796503e96137f77c68a829a0056ac8ded70140b081b094490c57bff", Convert.ToHexStringLower(sgx.MrSigner));
        Assert.Equal(1, sgx.IsvProdId);
        Assert.Equal(6, sgx.Levels.Count);
        Assert.Equal(8, sgx.Levels[0].IsvSvn);
        Assert.Equal(["INTEL-SA-00615"], sgx.Levels[1].Advisories);
    }

    [Theory]
    [InlineData("\"fmspc\":\"00A067110000\"", "\"fmspc\":\"zz\"", "fmspc")]
    [InlineData("\"pceId\":\"0000\"", "\"pceId\":1", "pceId")]
    [InlineData("\"tcbType\":0", "\"tcbType\":1", "tcbType")]
    [InlineData("{\"svn\":255}", "{\"svn\":256}", "svn")]
    [InlineData("\"nextUpdate\":\"2025-07-19T10:56:11Z\"", "\"nextUpdate\":\"soon\"", "nextUpdate")]
    public void Bad_tcb_info_fields_are_named(string field, string replacement, string named)
    {
        var json = SgxCollateral().TcbInfo.Replace(field, replacement, StringComparison.Ordinal);

        var e = Assert.Throws<AttestationException>(() => TcbInfo.Parse(json));

        Assert.Contains(named, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_vectors_quoting_enclaves_match_their_identities()
    {
        var sgxLevel = QeIdentityCheck.Check(DcapQuote.Parse(SgxQuote()).QeEnclaveReport, QeIdentity.Parse(SgxCollateral().QeIdentity));
        var tdxLevel = QeIdentityCheck.Check(DcapQuote.Parse(TdxQuote()).QeEnclaveReport, QeIdentity.Parse(TdxCollateral().QeIdentity));

        Assert.Equal((8, "UpToDate"), (sgxLevel.IsvSvn, sgxLevel.Status));
        Assert.Equal((4, "UpToDate"), (tdxLevel.IsvSvn, tdxLevel.Status));
    }

    [Fact]
    public void A_quoting_enclave_checked_against_the_other_teEs_identity_is_a_mismatch()
    {
        var e = Assert.Throws<AttestationException>(() =>
            QeIdentityCheck.Check(DcapQuote.Parse(SgxQuote()).QeEnclaveReport, QeIdentity.Parse(TdxCollateral().QeIdentity)));

        Assert.Equal(AttestationFailureReason.CollateralMismatch, e.Reason);
    }
}
