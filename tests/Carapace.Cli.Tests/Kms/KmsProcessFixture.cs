using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace Carapace.Cli.Tests.Kms;

/// <summary>
/// A real <c>carapace kms start</c> process on an ephemeral loopback port with <c>CARAPACE_HOME</c> in a fresh folder,
/// and the CLI run against it. Every wait is bounded.
/// </summary>
public abstract class KmsProcessFixture : IAsyncLifetime
{
    private static readonly string s_dll = Path.Combine(AppContext.BaseDirectory, "carapace.dll");
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(60);
    private readonly TempDir _dir = new();
    private readonly StringBuilder _serverOut = new();
    private readonly StringBuilder _serverErr = new();
    private Process? _server;

    private protected TempDir Dir => _dir;

    /// <summary>The CARAPACE_HOME of the server and of every command: the default data directory.</summary>
    private protected string Home => _dir.File("home");

    private protected Uri Endpoint { get; private set; } = null!;

    private protected string ServerOutput
    {
        get
        {
            lock (_serverOut)
            {
                return _serverOut.ToString();
            }
        }
    }

    private protected string ServerErrors
    {
        get
        {
            lock (_serverErr)
            {
                return _serverErr.ToString();
            }
        }
    }

    public virtual async Task InitializeAsync()
    {
        // Ready once the last line of the start banner is out, so tests see every line of it.
        var listening = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        Uri? announced = null;
        _server = Process.Start(StartInfo(["kms", "start", "--port", "0"]))!;
        _server.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                listening.TrySetException(new InvalidOperationException("kms start ended its output before listening:\n" + ServerErrors));
                return;
            }

            lock (_serverOut)
            {
                _serverOut.AppendLine(e.Data);
            }

            if (e.Data.StartsWith("KMS listening on ", StringComparison.Ordinal))
            {
                announced = new Uri(e.Data["KMS listening on ".Length..]);
            }
            else if (e.Data.StartsWith("endpoint file: ", StringComparison.Ordinal) && announced is not null)
            {
                listening.TrySetResult(announced);
            }
        };
        _server.ErrorDataReceived += (_, e) =>
        {
            lock (_serverErr)
            {
                _serverErr.AppendLine(e.Data);
            }
        };
        _server.BeginOutputReadLine();
        _server.BeginErrorReadLine();
        _server.StandardInput.Close();
        Endpoint = await listening.Task.WaitAsync(s_timeout);
    }

    public virtual async Task DisposeAsync()
    {
        if (_server is { HasExited: false })
        {
            await StopServerAsync();
        }

        _server?.Dispose();
        _dir.Dispose();
    }

    /// <summary>Sends SIGTERM and returns the exit code (bounded wait; killed if it hangs).</summary>
    private protected async Task<int> StopServerAsync()
    {
        using (var kill = Process.Start(new ProcessStartInfo("kill", ["-TERM", _server!.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])))
        {
            await kill!.WaitForExitAsync();
        }

        using var timeout = new CancellationTokenSource(s_timeout);
        try
        {
            await _server.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            _server.Kill(entireProcessTree: true);
            throw new TimeoutException("carapace kms start did not stop within 60 s of SIGTERM");
        }

        return _server.ExitCode;
    }

    private protected async Task<CarapaceProcess.Result> Run(byte[]? stdin, params string[] args)
    {
        using var process = Process.Start(StartInfo(args))!;
        using var timeout = new CancellationTokenSource(s_timeout);
        var stdout = new MemoryStream();
        var copyOut = process.StandardOutput.BaseStream.CopyToAsync(stdout, timeout.Token);
        var readErr = process.StandardError.ReadToEndAsync(timeout.Token);
        if (stdin is not null)
        {
            await process.StandardInput.BaseStream.WriteAsync(stdin, timeout.Token);
        }

        process.StandardInput.Close();
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"carapace {string.Join(' ', args)} did not finish within 60 s");
        }

        await copyOut;
        return new CarapaceProcess.Result(process.ExitCode, stdout.ToArray(), await readErr);
    }

    private protected Task<CarapaceProcess.Result> Run(params string[] args) => Run(null, args);

    /// <summary>Creates an owner key with the CLI and returns its policy entry.</summary>
    private protected async Task<JsonElement> NewOwnerAsync(string file, string? id = null)
    {
        var result = await Run(id is null ? ["policy", "key", "new", "--out", _dir.File(file)] : ["policy", "key", "new", "--out", _dir.File(file), "--id", id]);
        Assert.True(result.ExitCode == 0, Describe(result));
        using var entry = JsonDocument.Parse(result.Stdout);
        return entry.RootElement.Clone();
    }

    /// <summary>A policy for namespace acme with the given owner entries, 2-of-n approvals, one sim function 'f' with secret db-password.</summary>
    private protected string WritePolicy(string file, ulong version, int approvals, params JsonElement[] owners)
    {
        var policy = new
        {
            @namespace = "acme",
            version,
            owners,
            approvals,
            allowSimulation = true,
            functions = new[] { new { name = "f", measurements = new[] { new { kind = "sim", hash = new string('3', 64) } }, secrets = new[] { "db-password" } } },
            secrets = new[] { new { name = "db-password" } },
            chains = new[] { new { name = "pipeline", steps = new[] { "f" } } },
            clients = Array.Empty<object>(),
        };
        var path = _dir.File(file);
        File.WriteAllText(path, JsonSerializer.Serialize(policy, new JsonSerializerOptions { WriteIndented = true }) + "\n");
        return path;
    }

    private protected static string Describe(CarapaceProcess.Result result) => $"exit {result.ExitCode}\nstdout: {result.StdoutText}\nstderr: {result.Stderr}";

    private ProcessStartInfo StartInfo(string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = _dir.Path,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(s_dll);
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["CARAPACE_HOME"] = Home;
        return start;
    }
}
