namespace Carapace.Cli.Tests.Attestation;

/// <summary><c>attest verify</c> on each public vector at its documented time (tests/Carapace.Attestation.Tests/TestData/MANIFEST.md).</summary>
public sealed class AttestVerifyTests : AttestFixture
{
    [Fact]
    public async Task Sgx_quote_with_collateral_verifies_with_intel_tcb_status_and_both_advisories()
    {
        var result = await Run("attest", "verify", Vector("phala_sgx_quote_v3.bin"),
            "--collateral", Vector("phala_sgx_quote_v3.collateral.json"), "--at", "2025-07-01T00:00:00Z", "--json");

        Assert.True(result.ExitCode == 0, Describe(result));
        var json = Json(result);
        Assert.Equal("sgx", json.GetProperty("kind").GetString());
        Assert.True(json.GetProperty("verified").GetBoolean());
        Assert.Equal("ConfigurationAndSWHardeningNeeded", json.GetProperty("tcbStatus").GetString());
        Assert.Equal(["INTEL-SA-00289", "INTEL-SA-00615"], json.GetProperty("advisories").EnumerateArray().Select(a => a.GetString()).Order());
        Assert.Equal("33d8736db756ed4997e04ba358d27833188f1932ff7b1d156904d3f560452fbb", json.GetProperty("mrenclave").GetString());
        Assert.Equal("", result.Stderr);
    }

    [Fact]
    public async Task The_default_output_is_a_summary_then_every_claim_as_name_and_value()
    {
        var result = await Run("attest", "verify", Vector("phala_sgx_quote_v3.bin"),
            "--collateral", Vector("phala_sgx_quote_v3.collateral.json"), "--at", "2025-07-01");

        Assert.True(result.ExitCode == 0, Describe(result));
        var lines = result.StdoutText.Split('\n');
        Assert.Equal("kind:        sgx", lines[0]);
        Assert.Equal("verified:    yes", lines[1]);
        Assert.Contains("tcbStatus:   ConfigurationAndSWHardeningNeeded", lines);
        Assert.Contains("advisories:  INTEL-SA-00289, INTEL-SA-00615", lines);
        Assert.Contains("validFrom:   2025-06-19T10:56:11Z", lines);
        Assert.Contains("validUntil:  2025-07-19T10:01:18Z", lines);
        Assert.Contains("  mrenclave: 33d8736db756ed4997e04ba358d27833188f1932ff7b1d156904d3f560452fbb", lines);
        Assert.Contains("  fmspc: 00a067110000", lines);
    }

    [Fact]
    public async Task Tdx_quote_alone_verifies_with_an_unknown_tcb_status()
    {
        var result = await Run("attest", "verify", Vector("gotdx_tdx_quote_v4_SPR_E4.bin"), "--at", "2023-07-01T01:00:00Z", "--json");

        Assert.True(result.ExitCode == 0, Describe(result));
        var json = Json(result);
        Assert.Equal("tdx", json.GetProperty("kind").GetString());
        Assert.Equal("Unknown", json.GetProperty("tcbStatus").GetString());
        Assert.Equal("6363b8043668a3ad953278e10389574d326c6749fb78aa810ecd9336923db86f22fc00b8dcd404bc10d5e119d7215cbb", json.GetProperty("mrtd").GetString());
    }

    [Theory]
    [InlineData("gosev_vcek_milan.der")]
    [InlineData("vcek-and-chain.pem")]
    public async Task Snp_report_verifies_with_its_vcek_as_der_or_in_a_pem_bundle_with_ask_and_ark(string collateral)
    {
        var path = collateral == "vcek-and-chain.pem" ? VcekBundle() : Vector(collateral);

        var result = await Run("attest", "verify", Vector("gosev_snp_report_milan.bin"), "--collateral", path, "--at", "2024-01-15T00:00:00Z", "--json");

        Assert.True(result.ExitCode == 0, Describe(result));
        var json = Json(result);
        Assert.Equal("snp", json.GetProperty("kind").GetString());
        Assert.Equal("b07af9620f3b839b47996422ddec6058338951d984e312115131ea82705eaf5b6bdf8a9ece31a5a608eb0cf2e4872b01", json.GetProperty("measurement").GetString());
    }

    [Theory]
    [InlineData("auto")]
    [InlineData("snp")]
    public async Task Snp_report_given_as_hex_text_verifies(string kind)
    {
        var hex = Dir.File("report.hex");
        var text = Convert.ToHexStringLower(File.ReadAllBytes(Vector("gosev_snp_report_milan.bin")));
        await File.WriteAllTextAsync(hex, string.Join('\n', text.Chunk(64).Select(c => new string(c))) + "\n");

        var result = await Run("attest", "verify", hex, "--kind", kind, "--collateral", Vector("gosev_vcek_milan.der"), "--at", "2024-01-15T00:00:00Z");

        Assert.True(result.ExitCode == 0, Describe(result));
        Assert.StartsWith("kind:        snp\n", result.StdoutText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Nitro_document_verifies_and_reports_pcr0()
    {
        var result = await Run("attest", "verify", Vector("evervault_nitro_doc_2022-10-13.cbor"), "--at", "2022-10-13T09:30:00Z", "--json");

        Assert.True(result.ExitCode == 0, Describe(result));
        var json = Json(result);
        Assert.Equal("nitro", json.GetProperty("kind").GetString());
        Assert.Equal("f4d48b81a460c9916d1e685119074bf24660afd3e34fae9fca0a0d28d9d5599936332687e6f66fc890ac8cf150142d8b",
            json.GetProperty("pcrs").GetProperty("pcr0").GetString());
    }

    [Fact]
    public async Task Ra_tls_certificate_verifies_with_the_inner_quotes_measurement_and_says_it_is_a_debug_enclave()
    {
        var result = await Run("attest", "verify", Vector("ccc_gramine_ratls_cert.pem"), "--at", "2024-01-15T00:00:00Z", "--json");

        Assert.True(result.ExitCode == 0, Describe(result));
        var json = Json(result);
        Assert.Equal("ratls", json.GetProperty("kind").GetString());
        Assert.True(json.GetProperty("debug").GetBoolean());
        Assert.Equal("0866e7ca11b9f4efe4bf39b2607f4e1299f111920d96d95719080f01b62b7585", json.GetProperty("evidence").GetProperty("mrenclave").GetString());
        Assert.Contains("debug enclave", result.Stderr, StringComparison.Ordinal);

        var text = await Run("attest", "verify", Vector("ccc_gramine_ratls_cert.pem"), "--at", "2024-01-15T00:00:00Z");
        Assert.Contains("measurement: 0866e7ca11b9f4efe4bf39b2607f4e1299f111920d96d95719080f01b62b7585\n", text.StdoutText, StringComparison.Ordinal);
        Assert.Contains("debug:       yes", text.StdoutText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Matching_expected_report_data_is_accepted()
    {
        var reportData = "48656c6c6f2c20776f726c6421" + new string('0', 102);

        var result = await Run("attest", "verify", Vector("phala_sgx_quote_v3.bin"), "--at", "2025-07-01T00:00:00Z", "--expect-report-data", reportData);

        Assert.True(result.ExitCode == 0, Describe(result));
    }

    [Fact]
    public async Task A_custom_root_replaces_the_built_in_ones()
    {
        var intel = await Run("attest", "verify", Vector("phala_sgx_quote_v3.bin"), "--at", "2025-07-01T00:00:00Z", "--root", Vector("intel_sgx_root_ca.pem"));
        var amd = await Run("attest", "verify", Vector("phala_sgx_quote_v3.bin"), "--at", "2025-07-01T00:00:00Z", "--root", Vector("amd_ask_ark_milan.pem"));

        Assert.True(intel.ExitCode == 0, Describe(intel));
        Assert.Equal(1, amd.ExitCode);
        Assert.StartsWith("carapace: rejected (BrokenChain): ", amd.Stderr, StringComparison.Ordinal);
    }

    private string VcekBundle()
    {
        var vcek = System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificate(File.ReadAllBytes(Vector("gosev_vcek_milan.der")));
        var path = Dir.File("vcek-and-chain.pem");
        File.WriteAllText(path, vcek.ExportCertificatePem() + "\n" + File.ReadAllText(Vector("amd_ask_ark_milan.pem")));
        return path;
    }
}
