namespace Carapace.Cli.Tests.Attestation;

public sealed class AttestBenchAndHelpTests : AttestFixture
{
    [Fact]
    public async Task Bench_attest_prints_a_p50_and_p99_line_for_every_kind()
    {
        var result = await Run("bench", "attest", "--n", "3");

        Assert.True(result.ExitCode == 0, Describe(result));
        var lines = result.StdoutText.TrimEnd().Split('\n');
        Assert.StartsWith("evidence", lines[0], StringComparison.Ordinal);
        foreach (var kind in new[] { "sgx (quote only)", "sgx + collateral", "tdx (quote only)", "snp + vcek", "nitro", "ratls (sgx inside)", "sim" })
        {
            Assert.Contains(lines, l => System.Text.RegularExpressions.Regex.IsMatch(l, "^" + System.Text.RegularExpressions.Regex.Escape(kind) + @" +\d+ µs +\d+ µs$"));
        }
    }

    [Theory]
    [InlineData("attest", "verify")]
    [InlineData("bench", "attest")]
    public async Task Attestation_commands_have_help_with_examples(params string[] command)
    {
        var result = await Run([.. command, "--help"]);

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("Usage:", result.StdoutText, StringComparison.Ordinal);
        Assert.Contains("Examples:", result.StdoutText, StringComparison.Ordinal);
        Assert.Contains("  carapace " + string.Join(' ', command), result.StdoutText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_help_says_the_issuer_chains_come_from_pcs_response_headers()
    {
        var result = await Run("attest", "verify", "--help");

        Assert.Contains("TCB-Info-Issuer-Chain", result.StdoutText, StringComparison.Ordinal);
        Assert.Contains("tcb_info.json", result.StdoutText, StringComparison.Ordinal);
    }
}
