namespace Carapace.Cli.Tests.Platform;

/// <summary>A real <c>carapace up</c> running in the background over a data directory, stopped with SIGTERM.</summary>
internal sealed class UpProcess : IAsyncDisposable
{
    private readonly BackgroundCarapace _process;

    private UpProcess(BackgroundCarapace process, string dataDirectory)
    {
        _process = process;
        DataDirectory = dataDirectory;
    }

    public string DataDirectory { get; }

    public int ProcessId => _process.ProcessId;

    public string Stdout => _process.Stdout;

    public string Stderr => _process.Stderr;

    /// <summary>Starts <c>carapace up --data-dir DIR --port 0</c> (one stem cell) and waits for its "Press Ctrl-C" line.</summary>
    public static async Task<UpProcess> StartAsync(string dataDirectory, params string[] extra) =>
        new(await BackgroundCarapace.StartAsync(dataDirectory, "Press Ctrl-C",
            ["up", "--data-dir", dataDirectory, "--port", "0", "--stem-cells", "1", .. extra]), dataDirectory);

    /// <summary>Sends SIGTERM and waits (bounded) for the exit code.</summary>
    public Task<int> StopAsync() => _process.StopAsync();

    public ValueTask DisposeAsync() => _process.DisposeAsync();
}
