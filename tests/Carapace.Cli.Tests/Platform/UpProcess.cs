using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace Carapace.Cli.Tests.Platform;

/// <summary>A real <c>carapace up</c> running in the background over a data directory, stopped with SIGTERM.</summary>
internal sealed class UpProcess : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(120);
    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly TaskCompletionSource _up = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private UpProcess(Process process, string dataDirectory)
    {
        _process = process;
        DataDirectory = dataDirectory;
    }

    public string DataDirectory { get; }

    public int ProcessId => _process.Id;

    public string Stdout
    {
        get
        {
            lock (_stdout)
            {
                return _stdout.ToString();
            }
        }
    }

    public string Stderr
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    /// <summary>Starts <c>carapace up --data-dir DIR --port 0</c> and waits for its "Carapace is up" line.</summary>
    public static async Task<UpProcess> StartAsync(string dataDirectory, params string[] extra)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "carapace.dll"));
        foreach (var argument in new[] { "up", "--data-dir", dataDirectory, "--port", "0", "--stem-cells", "1" }.Concat(extra))
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["CARAPACE_HOME"] = dataDirectory;
        var up = new UpProcess(Process.Start(start)!, dataDirectory);
        up._process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is { } line)
            {
                lock (up._stdout)
                {
                    up._stdout.AppendLine(line);
                }

                if (line.StartsWith("Press Ctrl-C", StringComparison.Ordinal))
                {
                    up._up.TrySetResult();
                }
            }
        };
        up._process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is { } line)
            {
                lock (up._stderr)
                {
                    up._stderr.AppendLine(line);
                }
            }
        };
        up._process.BeginOutputReadLine();
        up._process.BeginErrorReadLine();
        var exited = up._process.WaitForExitAsync();
        var first = await Task.WhenAny(up._up.Task, exited, Task.Delay(StartTimeout));
        if (first != up._up.Task)
        {
            var why = first == exited ? $"exited with {up._process.ExitCode}" : $"did not come up within {StartTimeout.TotalSeconds} s";
            await up.DisposeAsync();
            throw new InvalidOperationException($"carapace up {why}:\n{up.Stdout}\n{up.Stderr}");
        }

        return up;
    }

    /// <summary>Sends SIGTERM and waits for the exit code.</summary>
    public async Task<int> StopAsync()
    {
        if (!_process.HasExited)
        {
            _ = Kill(_process.Id, 15);
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            throw new TimeoutException($"carapace up did not stop within 90 s of SIGTERM:\n{Stderr}");
        }

        // Let the asynchronous readers see the last lines.
        _process.WaitForExit();
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            try
            {
                await StopAsync();
            }
            catch (TimeoutException)
            {
                // Killed above.
            }
        }

        _process.Dispose();
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Kill(int pid, int signal);
}
