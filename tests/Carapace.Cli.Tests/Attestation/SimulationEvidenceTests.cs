using Carapace.Attestation;
using Carapace.Attestation.Simulation;

namespace Carapace.Cli.Tests.Attestation;

/// <summary>
/// Simulation evidence is accepted only with the user's own simulation quoting key ($CARAPACE_HOME/sim/quoting.key),
/// and every simulation result carries one loud banner on stderr.
/// </summary>
public sealed class SimulationEvidenceTests : AttestFixture
{
    private const string Banner = "WARNING: SIMULATION evidence — produced with a software key, no hardware protection. Never accept it in production.";

    [Fact]
    public async Task Evidence_from_the_local_simulation_key_verifies_as_insecure_with_one_banner()
    {
        var (path, reportData) = await IssueAsync(Path.Combine(Home, "sim"));

        var text = await Run("attest", "verify", path);
        var json = await Run("attest", "verify", path, "--json", "--expect-report-data", Convert.ToHexStringLower(reportData));

        Assert.True(text.ExitCode == 0, Describe(text));
        Assert.Equal(1, Count(text.Stderr, Banner));
        Assert.Equal(Banner + "\n", text.Stderr);
        Assert.StartsWith("kind:        sim\nverified:    yes\ninsecure:    yes", text.StdoutText, StringComparison.Ordinal);
        Assert.True(json.ExitCode == 0, Describe(json));
        Assert.Equal(Banner + "\n", json.Stderr);
        Assert.True(Json(json).GetProperty("insecure").GetBoolean());
        Assert.Equal(SimulatedEvidenceVerifier.Warning, Json(json).GetProperty("warning").GetString());
    }

    [Fact]
    public async Task Without_a_local_simulation_key_the_evidence_is_denied_and_no_key_is_created()
    {
        var (path, _) = await IssueAsync(Dir.File("elsewhere"));

        var result = await Run("attest", "verify", path, "--json");

        Assert.Equal(1, result.ExitCode);
        Assert.Equal(1, Count(result.Stderr, Banner));
        Assert.Contains("carapace: rejected (PolicyDenied): simulation evidence is accepted only when signed by this user's simulation quoting key", result.Stderr, StringComparison.Ordinal);
        Assert.Equal("PolicyDenied", Json(result).GetProperty("failure").GetProperty("reason").GetString());
        Assert.False(Directory.Exists(Path.Combine(Home, "sim")), "verifying must not create a simulation quoting key");
    }

    [Fact]
    public async Task Evidence_from_another_simulation_key_is_rejected()
    {
        using (SimulatedQuotingService.OpenOrCreate(Path.Combine(Home, "sim")))
        {
        }

        var (path, _) = await IssueAsync(Dir.File("other"));

        var result = await Run("attest", "verify", path);

        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith(Banner + "\ncarapace: rejected (BrokenChain): ", result.Stderr, StringComparison.Ordinal);
    }

    private async Task<(string Path, byte[] ReportData)> IssueAsync(string keyDirectory)
    {
        using var quoting = SimulatedQuotingService.OpenOrCreate(keyDirectory);
        var reportData = ReportData.Bind("enclave key"u8, "nonce"u8);
        var evidence = await new SimulatedEvidenceIssuer(quoting, new byte[SimulatedEvidenceIssuer.MeasurementSize]).IssueAsync(reportData);
        var path = Dir.File("sim-" + Guid.NewGuid().ToString("N") + ".bin");
        await File.WriteAllBytesAsync(path, evidence.Bytes.ToArray());
        return (path, reportData);
    }
}
