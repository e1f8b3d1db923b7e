using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Carapace.Attestation.Tee;
using Carapace.Cli.Infrastructure;
using Carapace.Cli.Kms;
using Carapace.Gateway;
using Carapace.Platform.Kms;

namespace Carapace.Cli.Platform;

/// <summary>
/// The platform's KMS as a child process (<c>carapace kms start</c>): like an enclave, it is its own process, so the
/// host process running gateway, controller and worker never holds a secret's plaintext. It runs in the platform's
/// TEE (in simulation it shares the data directory's simulated quoting key: <c>CARAPACE_HOME</c> is set to the data
/// directory) and announces its endpoint on stdout. Stopped with SIGTERM, which it handles by finishing its requests; it also stops when the pipe to its
/// standard input closes (<c>--with-parent</c>), so it never outlives this process, even a killed one. The platform's
/// <see cref="KmsSupervisor"/> watches it (<see cref="Exited"/>) and restarts it on the same port.
/// </summary>
internal sealed class KmsChildProcess : ISupervisedKms
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private readonly Process _process;

    private KmsChildProcess(Process process, EndpointFile endpoint)
    {
        _process = process;
        Endpoint = endpoint;
        Advertisement = new KmsAdvertisement(endpoint.Url, endpoint.Measurement, endpoint.QuotingKey);
        Exited = WaitForExitAsync(process);
    }

    /// <summary>Where it listens, what it attests and the quoting key of its evidence.</summary>
    public EndpointFile Endpoint { get; }

    /// <inheritdoc/>
    public KmsAdvertisement Advertisement { get; }

    /// <inheritdoc/>
    public Task<string> Exited { get; }

    /// <summary>The child's process id.</summary>
    public int ProcessId => _process.Id;

    /// <summary>
    /// Starts the KMS for <paramref name="dataDirectory"/> on <paramref name="port"/> (0: a free one) in the TEE of
    /// <paramref name="tee"/> (passed on as <c>--tee</c> and <c>--tee-config</c>) and waits until it listens.
    /// </summary>
    /// <exception cref="CliFailure">It did not start; the message carries its last error lines.</exception>
    public static async Task<KmsChildProcess> StartAsync(string dataDirectory, int port, Action<string> diagnostics, CancellationToken cancellationToken,
        TeeSettings? tee = null)
    {
        tee ??= TeeSettings.Simulation;
        var start = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(typeof(KmsChildProcess).Assembly.Location);
        foreach (var argument in new[] { "kms", "start", "--data-dir", dataDirectory, "--port", port.ToString(CultureInfo.InvariantCulture), "--with-parent",
            "--tee", TeeKinds.Name(tee.Kind) })
        {
            start.ArgumentList.Add(argument);
        }

        if (tee.Source is { } config)
        {
            start.ArgumentList.Add("--tee-config");
            start.ArgumentList.Add(config);
        }

        start.Environment["CARAPACE_HOME"] = dataDirectory;
        var process = Process.Start(start) ?? throw new CliFailure("the KMS process could not be started", ExitCodes.IoError);
        var errors = new Queue<string>();
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is { } line)
            {
                lock (errors)
                {
                    errors.Enqueue(line);
                    if (errors.Count > 20)
                    {
                        errors.Dequeue();
                    }
                }

                diagnostics(line);
            }
        };
        process.BeginErrorReadLine();
        try
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(StartTimeout);
            while (await process.StandardOutput.ReadLineAsync(deadline.Token).ConfigureAwait(false) is { } line)
            {
                if (line.StartsWith("KMS listening on ", StringComparison.Ordinal))
                {
                    var endpoint = EndpointFile.Read(EndpointFile.PathIn(dataDirectory));
                    _ = DrainAsync(process.StandardOutput);
                    return new KmsChildProcess(process, endpoint);
                }
            }

            await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            string last;
            lock (errors)
            {
                last = string.Join(Environment.NewLine, errors);
            }

            throw new CliFailure($"the KMS exited with code {process.ExitCode} before it listened:{Environment.NewLine}{last}", ExitCodes.IoError);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            process.Kill(entireProcessTree: true);
            throw new CliFailure($"the KMS did not start listening within {StartTimeout.TotalSeconds:0} s", ExitCodes.IoError);
        }
        catch
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            process.Dispose();
            throw;
        }
    }

    /// <summary>Asks the KMS to stop (SIGTERM) and waits for it; kills it after <paramref name="grace"/>.</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        if (_process.HasExited)
        {
            return;
        }

        _ = Kill(_process.Id, 15);
        using var timeout = new CancellationTokenSource(grace);
        try
        {
            await _process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
        }
    }

    /// <inheritdoc/>
    public void Kill()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        await Exited.ConfigureAwait(false);
        _process.Dispose();
    }

    /// <summary>Waits for the child to exit and says how: by a signal (SIGKILL: 9) or with an exit code.</summary>
    private static async Task<string> WaitForExitAsync(Process process)
    {
        await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
        var code = process.ExitCode;
        return code > 128 && code < 128 + 65
            ? $"was killed by signal {code - 128} (pid {process.Id})"
            : $"exited with code {code} (pid {process.Id})";
    }

    private static string DotnetHost() =>
        Environment.ProcessPath is { } path && Path.GetFileNameWithoutExtension(path) == "dotnet" ? path : "dotnet";

    private static async Task DrainAsync(StreamReader output)
    {
        try
        {
            while (await output.ReadLineAsync().ConfigureAwait(false) is not null)
            {
                // The KMS prints its endpoint details once; nothing else is expected.
            }
        }
        catch (IOException)
        {
            // The child exited.
        }
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Kill(int pid, int signal);
}
