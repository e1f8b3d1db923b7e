namespace Carapace.Cli.Tests.Platform;

/// <summary>
/// <c>--tee</c> of <c>carapace up</c> and <c>carapace kms start</c>: an unknown TEE, a hardware TEE without its
/// configuration, a machine without configfs-tsm and one of the other kind are usage errors that say what to do, and
/// nothing starts (no profile, no KMS endpoint): there is no fallback to simulation.
/// </summary>
public sealed class TeeChoiceTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData("up")]
    [InlineData("kms start")]
    public async Task An_unknown_TEE_is_a_usage_error_naming_the_choices(string command)
    {
        var result = await RunAsync(command, "--tee", "sgx");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--tee: 'sgx' is not a TEE; use sim (no hardware, insecure), tdx (Intel TDX confidential VM) or snp", result.Stderr, StringComparison.Ordinal);
        AssertNothingStarted();
    }

    [Theory]
    [InlineData("up")]
    [InlineData("kms start")]
    public async Task A_hardware_TEE_without_a_configuration_says_which_file_to_write(string command)
    {
        var result = await RunAsync(command, "--tee", "tdx");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--tee tdx needs a TEE configuration naming the confidential VM images to trust", result.Stderr, StringComparison.Ordinal);
        Assert.Contains(Path.Combine(Data, "tee.json"), result.Stderr, StringComparison.Ordinal);
        AssertNothingStarted();
    }

    [Theory]
    [InlineData("up")]
    [InlineData("kms start")]
    public async Task Without_configfs_tsm_a_hardware_TEE_is_refused_and_simulation_is_not_used_instead(string command)
    {
        var config = await WriteConfigAsync("tdx", _dir.File("no-such-tsm"));

        var result = await RunAsync(command, "--tee", "tdx", "--tee-config", config);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains($"--tee tdx needs Linux configfs-tsm at {_dir.File("no-such-tsm")}, which does not exist", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("Carapace does not fall back to simulation", result.Stderr, StringComparison.Ordinal);
        AssertNothingStarted();
    }

    [Fact]
    public async Task A_configfs_tsm_of_the_other_kind_is_refused_naming_the_TEE_to_use()
    {
        using var tdx = new FakeTdxPlatform();
        using var tree = FakeTsmTree.Tdx(tdx);
        var config = await WriteConfigAsync("snp", tree.Root);

        var result = await RunAsync("up", "--tee-config", config);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains($"--tee snp, but the configfs-tsm provider at {tree.Root} is tdx_guest", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("start with --tee tdx", result.Stderr, StringComparison.Ordinal);
        AssertNothingStarted();
    }

    [Fact]
    public async Task An_option_that_contradicts_the_configuration_is_refused()
    {
        var config = await WriteConfigAsync("tdx", "/sys/kernel/config/tsm/report");

        var result = await RunAsync("up", "--tee", "sim", "--tee-config", config);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains($"--tee sim, but {config} says \"tee\": \"tdx\"", result.Stderr, StringComparison.Ordinal);
        AssertNothingStarted();
    }

    private string Data => _dir.File("data");

    private Task<CarapaceProcess.Result> RunAsync(string command, params string[] args) =>
        CarapaceProcess.RunAsync(_dir.Path, null, new Dictionary<string, string> { ["CARAPACE_HOME"] = Data },
            [.. command.Split(' '), "--data-dir", Data, "--port", "0", .. args]);

    private async Task<string> WriteConfigAsync(string tee, string tsmPath)
    {
        var vm = tee == "tdx"
            ? $$"""{ "kind": "tdx", "launchMeasurement": "{{FakeTdxPlatform.DefaultMrtdHex}}" }"""
            : $$$"""{ "kind": "snp", "launchMeasurement": "{{{FakeSnpPlatform.DefaultMeasurementHex}}}", "minTcb": { "bootLoader": 3, "tee": 0, "snp": 8, "microcode": 115 } }""";
        var collateral = "";
        if (tee == "tdx")
        {
            using var tdx = new FakeTdxPlatform();
            await File.WriteAllTextAsync(_dir.File("collateral.json"), tdx.CollateralJson());
            collateral = "\"dcapCollateral\": \"collateral.json\", ";
        }

        var path = _dir.File($"tee-{tee}.json");
        await File.WriteAllTextAsync(path, $$"""{ "tee": "{{tee}}", "tsmPath": "{{tsmPath}}", {{collateral}}"vms": [ {{vm}} ] }""");
        return path;
    }

    private void AssertNothingStarted()
    {
        Assert.False(File.Exists(Path.Combine(Data, "platform.json")), "a profile was written");
        Assert.False(File.Exists(Path.Combine(Data, "kms", "endpoint.json")), "a KMS endpoint was written");
    }
}
