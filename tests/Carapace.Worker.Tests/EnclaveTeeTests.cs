using Carapace.Worker.Enclaves;

namespace Carapace.Worker.Tests;

/// <summary>
/// The TEE the worker starts enclaves in (<c>--tee</c>, <c>--tee-config</c>): checked before any process starts, and an
/// enclave that cannot use the TEE it was given exits before it is ready, saying why, instead of running simulated.
/// </summary>
public sealed class EnclaveTeeTests : IDisposable
{
    private readonly WorkerHarness _h = new();

    public void Dispose() => _h.Dispose();

    [Fact]
    public void Launch_options_refuse_an_unknown_TEE_and_hardware_without_its_configuration()
    {
        var unknown = Assert.Throws<ArgumentException>(() => With("sgx", null).Validate());
        var unconfigured = Assert.Throws<ArgumentException>(() => With("tdx", null).Validate());
        var missing = Assert.Throws<ArgumentException>(() => With("snp", Path.Combine(_h.Root, "none.json")).Validate());

        Assert.Contains("the TEE must be sim, tdx or snp, not 'sgx'", unknown.Message, StringComparison.Ordinal);
        Assert.Contains("enclaves in tdx need the TEE configuration file (TeeConfigPath is not set)", unconfigured.Message, StringComparison.Ordinal);
        Assert.Contains($"TeeConfigPath {Path.Combine(_h.Root, "none.json")} does not exist", missing.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_enclave_told_tdx_on_a_machine_without_configfs_tsm_exits_before_ready_and_says_why()
    {
        var config = WriteConfig(Path.Combine(_h.Root, "no-tsm"));

        var error = await Assert.ThrowsAsync<EnclaveException>(() => EnclaveProcess.StartAsync(With("tdx", config)));

        Assert.StartsWith($"the enclave process exited before it was ready (exit code 1): --tee tdx needs Linux configfs-tsm at {Path.Combine(_h.Root, "no-tsm")}",
            error.Message, StringComparison.Ordinal);
        Assert.Contains("does not fall back to simulation", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_enclave_in_an_imitation_TDX_VM_is_ready_and_does_not_claim_simulation()
    {
        using var tdx = new FakeTdxPlatform();
        using var tree = FakeTsmTree.Tdx(tdx);

        await using var enclave = await EnclaveProcess.StartAsync(With("tdx", WriteConfig(tree.Root)));

        Assert.False(enclave.Ready.Simulation);
    }

    private EnclaveLaunchOptions With(string tee, string? config) => new()
    {
        EnclavePath = _h.Launch.EnclavePath,
        PlatformKeyPath = _h.Launch.PlatformKeyPath,
        Diagnostics = _h.Launch.Diagnostics,
        Tee = tee,
        TeeConfigPath = config,
    };

    private string WriteConfig(string tsmPath)
    {
        using (var tdx = new FakeTdxPlatform())
        {
            File.WriteAllText(Path.Combine(_h.Root, "collateral.json"), tdx.CollateralJson());
        }

        var path = Path.Combine(_h.Root, "tee.json");
        File.WriteAllText(path, $$"""{ "tee": "tdx", "tsmPath": "{{tsmPath}}", "dcapCollateral": "collateral.json", "vms": [ { "kind": "tdx", "launchMeasurement": "{{FakeTdxPlatform.DefaultMrtdHex}}" } ] }""");
        return path;
    }
}
