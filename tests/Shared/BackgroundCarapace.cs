using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace Carapace.Tests;

/// <summary>
/// A real <c>carapace</c> process in the background (<c>up</c>, a cluster node or the KMS): waits (bounded) for the line
/// that says it serves, keeps its output, and is stopped with SIGTERM, or killed with SIGKILL.
/// </summary>
public sealed class BackgroundCarapace : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(120);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(90);
    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly string _readyLine;

    private BackgroundCarapace(Process process, string readyLine)
    {
        _process = process;
        _readyLine = readyLine;
    }

    public int ProcessId => _process.Id;

    public bool HasExited => _process.HasExited;

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

    /// <summary>The first https URL printed after <paramref name="label"/> (e.g. the gateway's address).</summary>
    public Uri UrlAfter(string label)
    {
        var line = Stdout.Split('\n').First(l => l.TrimStart().StartsWith(label, StringComparison.Ordinal));
        return new Uri(line[line.IndexOf("https://", StringComparison.Ordinal)..].Split(' ')[0].Trim());
    }

    /// <summary>Starts <c>carapace ARGS</c> and waits for a stdout line starting with <paramref name="readyLine"/>.</summary>
    public static async Task<BackgroundCarapace> StartAsync(string home, string readyLine, params string[] args)
    {
        var process = Start(home, readyLine, args);
        var exited = process._process.WaitForExitAsync();
        var first = await Task.WhenAny(process._ready.Task, exited, Task.Delay(StartTimeout));
        if (first != process._ready.Task)
        {
            var why = first == exited ? $"exited with {process._process.ExitCode}" : $"did not come up within {StartTimeout.TotalSeconds} s";
            await process.DisposeAsync();
            throw new InvalidOperationException($"carapace {string.Join(' ', args)} {why}:\n{process.Stdout}\n{process.Stderr}");
        }

        return process;
    }

    /// <summary>Starts <c>carapace ARGS</c> without waiting for anything.</summary>
    public static BackgroundCarapace Start(string home, string readyLine, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "carapace.dll"));
        foreach (var argument in args)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["DOTNET_NOLOGO"] = "1";
        // One simulated machine: the KMS and every node's enclaves share its quoting key.
        start.Environment["CARAPACE_HOME"] = home;
        var node = new BackgroundCarapace(Process.Start(start)!, readyLine);
        node._process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is { } line)
            {
                lock (node._stdout)
                {
                    node._stdout.AppendLine(line);
                }

                if (line.StartsWith(node._readyLine, StringComparison.Ordinal))
                {
                    node._ready.TrySetResult();
                }
            }
        };
        node._process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is { } line)
            {
                lock (node._stderr)
                {
                    node._stderr.AppendLine(line);
                }
            }
        };
        node._process.BeginOutputReadLine();
        node._process.BeginErrorReadLine();
        return node;
    }

    /// <summary>Waits (at most <paramref name="timeout"/>) for the process to exit on its own; its exit code, or null.</summary>
    public async Task<int?> WaitForExitAsync(TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(deadline.Token);
            _process.WaitForExit();
            return _process.ExitCode;
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    /// <summary>SIGKILL: the node vanishes without a word (its enclaves lose their parent).</summary>
    public void KillHard() => _ = Kill(_process.Id, 9);

    /// <summary>Sends SIGTERM and waits (bounded) for the exit; killed when it does not stop.</summary>
    public async Task<int> StopAsync()
    {
        if (!_process.HasExited)
        {
            _ = Kill(_process.Id, 15);
        }

        if (await WaitForExitAsync(StopTimeout) is { } code)
        {
            return code;
        }

        _process.Kill(entireProcessTree: true);
        throw new TimeoutException($"the process did not stop within {StopTimeout.TotalSeconds} s of SIGTERM:\n{Stderr}");
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
