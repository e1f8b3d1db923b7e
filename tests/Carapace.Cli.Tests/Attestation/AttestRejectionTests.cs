namespace Carapace.Cli.Tests.Attestation;

/// <summary>How <c>attest verify</c> rejects evidence (exit 1), bad command lines (exit 2) and unreadable files (exit 3).</summary>
public sealed class AttestRejectionTests : AttestFixture
{
    [Fact]
    public async Task Evidence_checked_after_its_certificates_expired_is_rejected_as_expired()
    {
        var result = await Run("attest", "verify", Vector("gotdx_tdx_quote_v4_SPR_E4.bin"), "--at", "2053-07-01T00:00:00Z");

        Assert.Equal(1, result.ExitCode);
        Assert.Equal("", result.StdoutText);
        Assert.StartsWith("carapace: rejected (Expired): the PCK certificate", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_nitro_document_is_expired_now_because_its_leaf_lives_three_hours()
    {
        var result = await Run("attest", "verify", Vector("evervault_nitro_doc_2022-10-13.cbor"));

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("rejected (Expired)", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_flipped_byte_in_the_sgx_report_body_is_rejected()
    {
        var quote = File.ReadAllBytes(Vector("phala_sgx_quote_v3.bin"));
        quote[48 + 0x40] ^= 0x01; // first byte of MRENCLAVE
        var path = Dir.File("tampered.bin");
        await File.WriteAllBytesAsync(path, quote);

        var result = await Run("attest", "verify", path, "--at", "2025-07-01T00:00:00Z");

        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith("carapace: rejected (BadSignature): the quote signature does not verify", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Garbage_is_not_recognised_and_the_json_still_says_why()
    {
        var path = Dir.File("garbage.bin");
        await File.WriteAllBytesAsync(path, System.Security.Cryptography.RandomNumberGenerator.GetBytes(3000));

        var text = await Run("attest", "verify", path);
        var json = await Run("attest", "verify", path, "--json");

        Assert.Equal(1, text.ExitCode);
        Assert.Equal("carapace: rejected (Malformed): could not recognise the evidence format; pass --kind\n", text.Stderr);
        Assert.Equal(1, json.ExitCode);
        var body = Json(json);
        Assert.False(body.GetProperty("verified").GetBoolean());
        Assert.Equal("Malformed", body.GetProperty("failure").GetProperty("reason").GetString());
        Assert.Contains("could not recognise", body.GetProperty("failure").GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_sgx_quote_verified_as_tdx_is_an_unsupported_version()
    {
        var result = await Run("attest", "verify", Vector("phala_sgx_quote_v3.bin"), "--kind", "tdx", "--at", "2025-07-01T00:00:00Z", "--json");

        Assert.Equal(1, result.ExitCode);
        Assert.Equal("tdx", Json(result).GetProperty("kind").GetString());
        Assert.Equal("UnsupportedVersion", Json(result).GetProperty("failure").GetProperty("reason").GetString());
        Assert.StartsWith("carapace: rejected (UnsupportedVersion): this is an Intel SGX quote", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Other_expected_report_data_is_a_report_data_mismatch()
    {
        var result = await Run("attest", "verify", Vector("phala_sgx_quote_v3.bin"), "--at", "2025-07-01T00:00:00Z",
            "--expect-report-data", new string('a', 128), "--json");

        Assert.Equal(1, result.ExitCode);
        Assert.Equal("ReportDataMismatch", Json(result).GetProperty("failure").GetProperty("reason").GetString());
        Assert.StartsWith("carapace: rejected (ReportDataMismatch): ", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_snp_report_without_its_vcek_is_rejected_and_says_what_to_pass()
    {
        var result = await Run("attest", "verify", Vector("gosev_snp_report_milan.bin"), "--at", "2024-01-15T00:00:00Z");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("rejected (CollateralMismatch)", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("--collateral", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Damaged_collateral_json_is_a_rejection_that_names_the_file()
    {
        var path = Dir.File("collateral.json");
        await File.WriteAllTextAsync(path, "{\"tcb_info\": ");

        var result = await Run("attest", "verify", Vector("phala_sgx_quote_v3.bin"), "--collateral", path, "--at", "2025-07-01T00:00:00Z");

        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith($"carapace: rejected (Malformed): {path}: the DCAP collateral is not valid JSON", result.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--at", "yesterday", "--at expects an ISO 8601 time")]
    [InlineData("--at", "2025-13-01T00:00:00Z", "--at expects an ISO 8601 time")]
    [InlineData("--expect-report-data", "xyz", "--expect-report-data expects an even number of hex digits")]
    [InlineData("--expect-report-data", "abc", "--expect-report-data expects an even number of hex digits")]
    [InlineData("--kind", "tpm", "--kind expects auto, sgx, tdx, snp, nitro, ratls or sim")]
    public async Task Bad_option_values_are_usage_errors(string option, string value, string message)
    {
        var result = await Run("attest", "verify", Vector("phala_sgx_quote_v3.bin"), option, value);

        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith("carapace: " + message, result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Collateral_for_a_kind_that_takes_none_is_a_usage_error()
    {
        var result = await Run("attest", "verify", Vector("evervault_nitro_doc_2022-10-13.cbor"), "--collateral", Vector("gosev_vcek_milan.der"));

        Assert.Equal(2, result.ExitCode);
        Assert.Equal("carapace: --collateral is not used for nitro evidence; leave it out\n", result.Stderr);
    }

    [Fact]
    public async Task A_root_file_without_certificates_is_a_usage_error()
    {
        var result = await Run("attest", "verify", Vector("phala_sgx_quote_v3.bin"), "--root", Vector("README.md"));

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("holds no X.509 certificate", result.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("evidence")]
    [InlineData("collateral")]
    [InlineData("root")]
    public async Task A_missing_file_is_an_io_error(string which)
    {
        var missing = Dir.File("missing.bin");
        string[] args = which switch
        {
            "evidence" => ["attest", "verify", missing],
            "collateral" => ["attest", "verify", Vector("phala_sgx_quote_v3.bin"), "--collateral", missing],
            _ => ["attest", "verify", Vector("phala_sgx_quote_v3.bin"), "--root", missing],
        };

        var result = await Run(args);

        Assert.Equal(3, result.ExitCode);
        Assert.Contains($"{missing} does not exist", result.Stderr, StringComparison.Ordinal);
    }
}
