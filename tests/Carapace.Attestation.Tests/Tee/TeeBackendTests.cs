using Carapace.Attestation.ConfigFsTsm;
using Carapace.Attestation.Tee;
using Carapace.Attestation.Tests.ConfigFsTsm;

namespace Carapace.Attestation.Tests.Tee;

public sealed class TeeBackendTests
{
    private static readonly byte[] Workload = System.Security.Cryptography.SHA256.HashData("workload"u8);

    [Theory]
    [InlineData("sim", TeeKind.Simulation)]
    [InlineData("tdx", TeeKind.Tdx)]
    [InlineData("snp", TeeKind.Snp)]
    public void The_three_names_parse(string name, TeeKind kind)
    {
        Assert.Equal(kind, TeeKinds.Parse(name));
        Assert.Equal(name, TeeKinds.Name(kind));
    }

    [Theory]
    [InlineData("sgx")]
    [InlineData("TDX")]
    [InlineData("")]
    [InlineData(null)]
    public void Anything_else_is_a_clear_error(string? name)
    {
        var e = Assert.Throws<TeeConfigurationException>(() => TeeKinds.Parse(name));

        Assert.Equal($"--tee: '{name}' is not a TEE; use sim (no hardware, insecure), tdx (Intel TDX confidential VM) or snp (AMD SEV-SNP confidential VM)", e.Message);
    }

    [Fact]
    public void Hardware_without_configfs_tsm_fails_and_never_falls_back_to_simulation()
    {
        var missing = Path.Combine(Path.GetTempPath(), "no-tsm-" + Guid.NewGuid().ToString("N"));

        var e = Assert.Throws<TeeConfigurationException>(() => TeeBackend.Hardware(TeeKind.Tdx, missing));

        Assert.StartsWith($"--tee tdx needs Linux configfs-tsm at {missing}, which does not exist: this machine is not an Intel TDX guest", e.Message, StringComparison.Ordinal);
        Assert.Contains("Carapace does not fall back to simulation", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Hardware_of_the_other_kind_is_refused_with_the_kind_to_use()
    {
        using var tsm = new FakeTsm("sev_guest");

        var e = Assert.Throws<TeeConfigurationException>(() => TeeBackend.Hardware(TeeKind.Tdx, tsm.Root, null, tsm));

        Assert.Equal($"--tee tdx, but the configfs-tsm provider at {tsm.Root} is sev_guest: this is an AMD SEV-SNP confidential VM; start with --tee snp", e.Message);
    }

    [Fact]
    public void An_unknown_provider_is_refused()
    {
        using var tsm = new FakeTsm("arm_cca_guest");

        var e = Assert.Throws<TeeConfigurationException>(() => TeeBackend.Hardware(TeeKind.Snp, tsm.Root, null, tsm));

        Assert.Contains("the configfs-tsm provider 'arm_cca_guest' is not supported", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Simulation_names_the_workload_and_signs_with_its_quoting_key()
    {
        using var backend = TeeBackend.EphemeralSimulation();

        var evidence = await backend.IssuerFor(Workload).IssueAsync(new byte[64]);
        var result = EvidenceVerifiers.CreateDefault().Verify(EvidenceKind.Simulation, evidence.Bytes,
            new VerificationOptions { SimulationQuotingKeys = [backend.SimulationQuotingKey] });

        Assert.True(backend.IsSimulated);
        Assert.True(result.Verified, result.ToString());
        Assert.Equal(Workload, result.Measurement.ToArray());
        Assert.StartsWith("simulation evidence signed by the software quoting key ", backend.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_tdx_backend_issues_quotes_that_bind_the_workload_and_the_caller_s_report_data()
    {
        using var platform = new FakeTdxPlatform();
        using var tree = FakeTsmTree.Tdx(platform);
        using var backend = TeeBackend.Hardware(TeeKind.Tdx, tree.Root);
        var wanted = ReportData.Bind("key"u8, "nonce"u8);

        var evidence = await backend.IssuerFor(Workload).IssueAsync(wanted);
        var result = EvidenceVerifiers.CreateDefault().Verify(EvidenceKind.Tdx, evidence.Bytes,
            new VerificationOptions { Roots = platform.Anchors, DcapCollateral = platform.Collateral });

        Assert.Equal(TeeKind.Tdx, backend.Kind);
        Assert.False(backend.IsSimulated);
        Assert.True(result.Verified, result.ToString());
        Assert.Equal(FakeTdxPlatform.DefaultMrtd, result.Measurement.ToArray());
        Assert.Equal(TcbStatus.UpToDate, result.TcbStatus);
        Assert.True(WorkloadBinding.TryOpen(result.ReportData.Span, wanted, out var workload));
        Assert.Equal(Workload, workload);
        Assert.Equal($"Intel TDX quotes from configfs-tsm at {tree.Root}", backend.Description);
    }

    [Fact]
    public async Task A_tdx_quote_does_not_verify_against_the_built_in_Intel_root()
    {
        using var platform = new FakeTdxPlatform();
        using var tree = FakeTsmTree.Tdx(platform);
        using var backend = TeeBackend.Hardware(TeeKind.Tdx, tree.Root);

        var evidence = await backend.IssuerFor(Workload).IssueAsync(new byte[64]);
        var result = EvidenceVerifiers.CreateDefault().Verify(EvidenceKind.Tdx, evidence.Bytes, new VerificationOptions());

        Assert.Equal(AttestationFailureReason.BrokenChain, result.Failure?.Reason);
    }

    [Fact]
    public async Task An_snp_backend_issues_reports_that_carry_their_VCEK()
    {
        using var platform = new FakeSnpPlatform();
        using var tree = FakeTsmTree.Snp(platform);
        using var backend = TeeBackend.Hardware(TeeKind.Snp, tree.Root);
        var wanted = ReportData.Bind("key"u8, "nonce"u8);

        var evidence = await backend.IssuerFor(Workload).IssueAsync(wanted);
        var result = EvidenceVerifiers.CreateDefault().Verify(EvidenceKind.SevSnp, evidence.Bytes,
            new VerificationOptions { Roots = TrustAnchors.Custom([platform.Chain.Ark]) });

        Assert.Equal(EvidenceKind.SevSnp, evidence.Kind);
        Assert.True(evidence.Bytes.Length > Carapace.Attestation.Snp.SnpReport.Size);
        Assert.True(result.Verified, result.ToString());
        Assert.Equal(FakeSnpPlatform.DefaultMeasurement, result.Measurement.ToArray());
        Assert.True(WorkloadBinding.TryOpen(result.ReportData.Span, wanted, out var workload));
        Assert.Equal(Workload, workload);
    }

    [Fact]
    public async Task The_issuer_refuses_a_report_that_carries_other_report_data()
    {
        using var platform = new FakeTdxPlatform { WrongReportData = true };
        using var tree = FakeTsmTree.Tdx(platform);
        using var backend = TeeBackend.Hardware(TeeKind.Tdx, tree.Root);

        var e = await Assert.ThrowsAsync<AttestationException>(() => backend.IssuerFor(Workload).IssueAsync(new byte[64]).AsTask());

        Assert.Equal(AttestationFailureReason.ReportDataMismatch, e.Reason);
    }

    [Fact]
    public void A_directory_that_never_shows_a_provider_is_not_a_tsm()
    {
        var root = Path.Combine(Path.GetTempPath(), "plain-dir-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(root);
        try
        {
            var e = Assert.Throws<TeeConfigurationException>(() => TeeBackend.Hardware(TeeKind.Tdx, root));

            Assert.Contains("shows no 'provider' attribute 5 s after it was made", e.Message, StringComparison.Ordinal);
            Assert.Empty(Directory.GetFileSystemEntries(root));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void Simulation_has_no_hardware_backend() =>
        Assert.Throws<ArgumentException>(() => TeeBackend.Hardware(TeeKind.Simulation, ConfigFsTsmIssuer.DefaultRoot));
}
