using System.Collections.Concurrent;
using System.Text.RegularExpressions;

namespace Carapace.Cli.Tests.Platform;

/// <summary>What the imitation TDX module does wrong in the quotes it makes for one workload.</summary>
public enum QuoteFault
{
    /// <summary>A correct quote of the trusted VM image.</summary>
    None,

    /// <summary>A quote over other report data than the enclave wrote (a substituted quote).</summary>
    WrongReportData,

    /// <summary>A quote of a debug TD.</summary>
    DebugVm,

    /// <summary>A quote of a VM image whose MRTD the configuration does not list.</summary>
    UnlistedMrtd,

    /// <summary>A quote of a platform whose TDX module the collateral rates OutOfDate.</summary>
    OutOfDateTcb,
}

/// <summary>
/// A real <c>carapace up --tee tdx</c> (KMS child, enclave processes) on an imitation Intel TDX confidential VM: a fake
/// configfs-tsm tree served by this test process, quotes signed by a test PKI, and a TEE configuration (<c>tee.json</c>)
/// that names the tree, the test root, its collateral and the imitation VM image as the one trusted. The quotes a
/// workload gets can be spoiled per workload (<see cref="Spoil"/>), so one function's enclave can be refused while the
/// KMS's own evidence stays good.
/// </summary>
public sealed partial class TdxPlatform : IAsyncLifetime
{
    private readonly TempDir _dir = new();
    private readonly ConcurrentDictionary<string, QuoteFault> _faults = new(StringComparer.OrdinalIgnoreCase);
    private FakeTsmTree? _tree;
    private UpProcess? _up;

    internal FakeTdxPlatform Tdx { get; } = new();

    public string DataDirectory => _dir.File("data");

    /// <summary>The TEE configuration the platform was started with.</summary>
    public string ConfigPath => _dir.File(Path.Combine("tee", "tee.json"));

    internal FakeTsmTree Tree => _tree ?? throw new InvalidOperationException("the platform has not started");

    internal UpProcess Up => _up ?? throw new InvalidOperationException("the platform has not started");

    public string File(string name) => _dir.File(name);

    public async Task InitializeAsync()
    {
        _tree = new FakeTsmTree("tdx_guest", Answer);
        var folder = Path.GetDirectoryName(ConfigPath)!;
        Directory.CreateDirectory(folder);
        await System.IO.File.WriteAllTextAsync(Path.Combine(folder, "root.pem"), Tdx.RootPem);
        await System.IO.File.WriteAllTextAsync(Path.Combine(folder, "collateral.json"), Tdx.CollateralJson());
        await System.IO.File.WriteAllTextAsync(ConfigPath, $$"""
            {
              "tee": "tdx",
              "tsmPath": "{{_tree.Root}}",
              "roots": "root.pem",
              "dcapCollateral": "collateral.json",
              "vms": [ { "kind": "tdx", "launchMeasurement": "{{FakeTdxPlatform.DefaultMrtdHex}}" } ]
            }
            """);
        _up = await UpProcess.StartAsync(DataDirectory, "--tee", "tdx", "--tee-config", ConfigPath);
    }

    public async Task DisposeAsync()
    {
        if (_up is not null)
        {
            await _up.DisposeAsync();
        }

        _tree?.Dispose();
        Tdx.Dispose();
        _dir.Dispose();
    }

    /// <summary>From now on, quotes for workload <paramref name="measurementHex"/> have <paramref name="fault"/>.</summary>
    public void Spoil(string measurementHex, QuoteFault fault) => _faults[measurementHex] = fault;

    /// <summary>Runs <c>carapace ARGS --data-dir DATA</c>.</summary>
    internal Task<CarapaceProcess.Result> RunAsync(byte[]? stdin, params string[] args) =>
        CarapaceProcess.RunAsync(_dir.Path, stdin, new Dictionary<string, string> { ["CARAPACE_HOME"] = DataDirectory },
            [.. args, "--data-dir", DataDirectory]);

    /// <summary>Deploys example <paramref name="example"/> as <paramref name="name"/>, checks it worked and returns its measurement.</summary>
    internal async Task<string> DeployAsync(string name, string example, params string[] extra)
    {
        var result = await RunAsync(null, ["deploy", name, RepoPaths.Example(example), "--memory", "128", .. extra]);
        Assert.True(result.ExitCode == 0, result.Stderr);
        return MeasurementLine().Match(result.StdoutText).Groups[1].Value;
    }

    /// <summary>
    /// The imitation TDX module: a quote over the written report data, spoiled as <see cref="Spoil"/> said for the
    /// workload they bind (Carapace's layout puts it in the second half, see <c>WorkloadBinding</c>).
    /// </summary>
    private (byte[] OutBlob, byte[]? AuxBlob) Answer(byte[] reportData)
    {
        var workload = reportData.Length == 64 ? Convert.ToHexStringLower(reportData.AsSpan(32)) : "";
        var fault = _faults.GetValueOrDefault(workload, QuoteFault.None);
        var mrtd = fault == QuoteFault.UnlistedMrtd ? [.. Enumerable.Repeat((byte)0x99, 48)] : FakeTdxPlatform.DefaultMrtd;
        return (Tdx.Quote(reportData, mrtd, debug: fault == QuoteFault.DebugVm, outOfDate: fault == QuoteFault.OutOfDateTcb,
            wrongReportData: fault == QuoteFault.WrongReportData), null);
    }

    [GeneratedRegex("(?m)^measurement ([0-9a-f]{64})$")]
    private static partial Regex MeasurementLine();
}
