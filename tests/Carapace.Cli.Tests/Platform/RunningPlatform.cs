namespace Carapace.Cli.Tests.Platform;

/// <summary>
/// One real <c>carapace up</c> (KMS child, enclave processes) in a temp data directory, shared by a test class, and a
/// way to run client commands against it as a user would: a separate <c>carapace</c> process with <c>--data-dir</c>.
/// </summary>
public sealed class RunningPlatform : IAsyncLifetime
{
    private readonly TempDir _dir = new();
    private UpProcess? _up;

    public string DataDirectory => _dir.File("data");

    public string WorkDirectory => _dir.Path;

    public string File(string name) => _dir.File(name);

    /// <summary>The running <c>carapace up</c> process.</summary>
    internal UpProcess Up => _up ?? throw new InvalidOperationException("the platform has not started");

    public async Task InitializeAsync() => _up = await UpProcess.StartAsync(DataDirectory);

    public async Task DisposeAsync()
    {
        if (_up is not null)
        {
            await _up.DisposeAsync();
        }

        _dir.Dispose();
    }

    /// <summary>Runs <c>carapace ARGS --data-dir DATA</c>.</summary>
    internal Task<CarapaceProcess.Result> RunAsync(byte[]? stdin, params string[] args) =>
        CarapaceProcess.RunAsync(_dir.Path, stdin, new Dictionary<string, string> { ["CARAPACE_HOME"] = DataDirectory },
            [.. args, "--data-dir", DataDirectory]);

    /// <summary>Deploys example <paramref name="example"/> as <paramref name="name"/> and checks it worked.</summary>
    internal async Task DeployAsync(string name, string example, params string[] extra)
    {
        var result = await RunAsync(null, ["deploy", name, RepoPaths.Example(example), "--memory", "128", .. extra]);
        Assert.True(result.ExitCode == 0, result.Stderr);
    }
}
