using Carapace.Attestation.Tee;

namespace Carapace.Attestation.Tests.Tee;

public sealed class TeeSettingsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("carapace-tee-").FullName;

    private string Write(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    /// <summary>A valid tdx configuration as the data directory's tee.json.</summary>
    private void WriteTdx()
    {
        using var tdx = new FakeTdxPlatform();
        Write("collateral.json", tdx.CollateralJson());
        Write(TeeSettings.FileName, $$"""{"tee": "tdx", "dcapCollateral": "collateral.json", "vms": [{{Vm()}}]}""");
    }

    private static string Vm(string kind = "tdx") => kind == "tdx"
        ? $$"""{"kind": "tdx", "launchMeasurement": "{{FakeTdxPlatform.DefaultMrtdHex}}"}"""
        : $$$"""{"kind": "snp", "launchMeasurement": "{{{FakeSnpPlatform.DefaultMeasurementHex}}}", "minTcb": {"bootLoader": 3, "tee": 0, "snp": 8, "microcode": 115}}""";

    [Fact]
    public void A_tdx_configuration_loads_its_roots_collateral_and_VMs_relative_to_its_folder()
    {
        using var tdx = new FakeTdxPlatform();
        Write("root.pem", tdx.RootPem);
        Write("collateral.json", tdx.CollateralJson());
        var path = Write("tee.json", $$"""{"tee": "tdx", "tsmPath": "/tmp/tsm", "roots": "root.pem", "dcapCollateral": "collateral.json", "vms": [{{Vm()}}]}""");

        var settings = TeeSettings.Load(path);

        Assert.Equal(TeeKind.Tdx, settings.Kind);
        Assert.Equal("/tmp/tsm", settings.TsmPath);
        Assert.True(settings.Trust.HasCustomRoots);
        Assert.Equal(tdx.Pki.Root.RawData, settings.Trust.Roots.For(EvidenceKind.Tdx)[0].RawData);
        Assert.Equal(tdx.Collateral.TcbInfo, settings.Trust.DcapCollateral!.TcbInfo);
        Assert.Equal(FakeTdxPlatform.DefaultMrtdHex, Assert.Single(settings.Vms).LaunchMeasurement);
        Assert.Equal(path, settings.Source);
        Assert.Contains("CUSTOM ROOTS", settings.Describe(), StringComparison.Ordinal);
    }

    [Fact]
    public void Every_problem_of_a_file_is_reported_at_once()
    {
        var path = Write("tee.json", $$"""{"tee": "tdx", "tsmPath": "relative", "roots": "missing.pem", "snpVcek": "v.pem", "colour": 1, "vms": [{{Vm("snp")}}, {"kind": "tdx", "launchMeasurement": "00"}]}""");

        var e = Assert.Throws<TeeConfigurationException>(() => TeeSettings.Load(path));

        Assert.Equal([$"{path}: $.colour: unknown field (allowed: tee, tsmPath, roots, dcapCollateral, snpVcek, vms)"], e.Problems);
        File.WriteAllText(path, $$"""{"tee": "tdx", "tsmPath": "relative", "roots": "missing.pem", "snpVcek": "v.pem", "vms": [{{Vm("snp")}}, {"kind": "tdx", "launchMeasurement": "00"}]}""");
        e = Assert.Throws<TeeConfigurationException>(() => TeeSettings.Load(path));
        Assert.Equal(6, e.Problems.Count);
        Assert.Contains(e.Problems, p => p.StartsWith($"{path}: $.dcapCollateral: is required for \"tee\": \"tdx\"", StringComparison.Ordinal));
        Assert.Contains($"{path}: $.tsmPath: 'relative' must be an absolute path", e.Problems);
        Assert.Contains(e.Problems, p => p.StartsWith($"{path}: $.roots: {Path.Combine(_dir, "missing.pem")} cannot be used", StringComparison.Ordinal));
        Assert.Contains($"{path}: $.snpVcek: is an AMD certificate, only for \"tee\": \"snp\"", e.Problems);
        Assert.Contains($"{path}: $.vms[0].kind: a \"tee\": \"tdx\" platform trusts tdx VM images, not snp", e.Problems);
        Assert.Contains($"{path}: $.vms[1].launchMeasurement: a launch measurement is 48 bytes (96 hex digits); got 2 characters", e.Problems);
        Assert.StartsWith("the TEE configuration has problems:\n  - ", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Hardware_needs_at_least_one_trusted_VM_and_simulation_takes_nothing_else()
    {
        var none = Write("none.json", """{"tee": "snp", "vms": []}""");
        var missing = Write("missing.json", """{"tee": "snp"}""");
        var sim = Write("sim.json", """{"tee": "sim", "roots": "x.pem"}""");
        var noCollateral = Write("tdx.json", $$"""{"tee": "tdx", "vms": [{{Vm()}}]}""");

        Assert.Equal([$"{none}: $.vms: name at least one trusted confidential VM image (its launch measurement)"], Assert.Throws<TeeConfigurationException>(() => TeeSettings.Load(none)).Problems);
        Assert.Equal([$"{missing}: $.vms: is required"], Assert.Throws<TeeConfigurationException>(() => TeeSettings.Load(missing)).Problems);
        Assert.Equal([$"{sim}: $.roots: is only for \"tee\": \"tdx\" or \"snp\""], Assert.Throws<TeeConfigurationException>(() => TeeSettings.Load(sim)).Problems);
        Assert.StartsWith($"{noCollateral}: $.dcapCollateral: is required for \"tee\": \"tdx\"", Assert.Single(Assert.Throws<TeeConfigurationException>(() => TeeSettings.Load(noCollateral)).Problems), StringComparison.Ordinal);
    }

    [Fact]
    public void Not_json_and_an_unknown_TEE_are_clear_errors()
    {
        var broken = Write("broken.json", "{\"tee\": ");
        var unknown = Write("unknown.json", """{"tee": "sgx"}""");

        Assert.StartsWith($"the TEE configuration {broken} is not valid JSON", Assert.Throws<TeeConfigurationException>(() => TeeSettings.Load(broken)).Message, StringComparison.Ordinal);
        Assert.Equal([$"{unknown}: $.tee: 'sgx' is not a TEE; use {TeeKinds.Choices}"], Assert.Throws<TeeConfigurationException>(() => TeeSettings.Load(unknown)).Problems);
    }

    [Fact]
    public void Resolve_defaults_to_simulation_and_reads_the_data_directory_s_file()
    {
        Assert.Same(TeeSettings.Simulation, TeeSettings.Resolve(null, null, _dir));
        Assert.Same(TeeSettings.Simulation, TeeSettings.Resolve("sim", null, _dir));

        WriteTdx();

        Assert.Equal(TeeKind.Tdx, TeeSettings.Resolve(null, null, _dir).Kind);
        Assert.Equal(TeeKind.Tdx, TeeSettings.Resolve("tdx", null, _dir).Kind);
    }

    [Fact]
    public void Resolve_refuses_a_contradiction_a_missing_file_and_hardware_without_configuration()
    {
        WriteTdx();
        var empty = Directory.CreateTempSubdirectory("carapace-tee-empty-").FullName;
        try
        {
            var contradiction = Assert.Throws<TeeConfigurationException>(() => TeeSettings.Resolve("sim", null, _dir));
            var missing = Assert.Throws<TeeConfigurationException>(() => TeeSettings.Resolve(null, Path.Combine(_dir, "nope.json"), _dir));
            var unconfigured = Assert.Throws<TeeConfigurationException>(() => TeeSettings.Resolve("snp", null, empty));
            var unknown = Assert.Throws<TeeConfigurationException>(() => TeeSettings.Resolve("tpm", null, empty));

            Assert.Equal($"--tee sim, but {Path.Combine(_dir, "tee.json")} says \"tee\": \"tdx\"; make them agree (the TEE is chosen once, never silently)", contradiction.Message);
            Assert.Equal($"--tee-config: {Path.Combine(_dir, "nope.json")} does not exist", missing.Message);
            Assert.Equal($"--tee snp needs a TEE configuration naming the confidential VM images to trust (\"vms\"): write {Path.Combine(empty, "tee.json")} or pass --tee-config FILE (see docs/attestation.md)", unconfigured.Message);
            Assert.StartsWith("--tee: 'tpm' is not a TEE", unknown.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(empty, recursive: true);
        }
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
