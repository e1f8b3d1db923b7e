using System.Net;
using System.Net.Sockets;
using Carapace.Gateway;
using Carapace.Attestation.Tee;
using Carapace.Kms.Client;
using Microsoft.Extensions.Logging;

namespace Carapace.Platform.Kms;

/// <summary>
/// Keeps the platform's KMS running. It notices at once when the KMS exits (its <see cref="ISupervisedKms.Exited"/>),
/// and probes a live one (<c>GET /v1/health</c> over attested TLS) so that one that stops answering is killed; either
/// way it logs it, marks the <see cref="KmsHealth"/> as restarting (new enclaves then fail fast with a 503 and a
/// <c>Retry-After</c>) and starts a new KMS with exponential backoff, for as long as it takes.
/// </summary>
/// <remarks>
/// A restart uses the same port, so every holder of the address keeps it. When another process holds that port — or
/// two starts on it fail in a row — the KMS starts on a new free port: <see cref="KmsHealth"/> (the gateway's
/// <c>/api/v1/carapace/info</c> and every later enclave) has the new address at once, and <see cref="Moved"/> tells the
/// rest (<c>carapace up</c> rewrites <c>platform.json</c>). The KMS keeps its state in the data directory, so a restarted
/// KMS has the same master key, policies, secrets and audit log; it forgets only its issued nonces.
/// </remarks>
public sealed class KmsSupervisor : IAsyncDisposable
{
    private readonly KmsLauncher _launch;
    private readonly KmsHealth _health;
    private readonly ILogger _logger;
    private readonly TeeSettings _tee;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _stop = new();
    private ISupervisedKms _current;
    private Task? _loop;
    private bool _stopped;

    /// <summary>Supervises <paramref name="running"/> (up, as <paramref name="health"/> says), restarting it with <paramref name="launch"/>.</summary>
    public KmsSupervisor(ISupervisedKms running, KmsLauncher launch, KmsHealth health, ILogger logger, TimeProvider? time = null, TeeSettings? tee = null)
    {
        ArgumentNullException.ThrowIfNull(running);
        ArgumentNullException.ThrowIfNull(launch);
        ArgumentNullException.ThrowIfNull(health);
        ArgumentNullException.ThrowIfNull(logger);
        _current = running;
        _launch = launch;
        _health = health;
        _logger = logger;
        _time = time ?? TimeProvider.System;
        _tee = tee ?? TeeSettings.Simulation;
    }

    /// <summary>Raised (on the supervisor's loop) after a restart that moved the KMS to a new address.</summary>
    public event Action<KmsAdvertisement>? Moved;

    /// <summary>The KMS running now (or the one that last ran, while restarting).</summary>
    public ISupervisedKms Current => Volatile.Read(ref _current);

    /// <summary>The health this supervisor keeps.</summary>
    public KmsHealth Health => _health;

    /// <summary>Starts watching.</summary>
    public void Start()
    {
        ObjectDisposedException.ThrowIf(_stopped, this);
        _loop ??= Task.Run(RunAsync);
    }

    /// <summary>Stops watching (nothing restarts the KMS any more), then stops the KMS, killing it after <paramref name="grace"/>.</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        if (_stopped)
        {
            return;
        }

        _stopped = true;
        _health.Stop();
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_loop is not null)
        {
            await _loop.ConfigureAwait(false);
        }

        await Current.StopAsync(grace).ConfigureAwait(false);
    }

    /// <summary>Stops (10 s grace) and releases the KMS.</summary>
    public async ValueTask DisposeAsync()
    {
        await StopAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        await Current.DisposeAsync().ConfigureAwait(false);
        _stop.Dispose();
    }

    private async Task RunAsync()
    {
        var stop = _stop.Token;
        var kms = Current;
        while (true)
        {
            var why = await WatchAsync(kms, stop).ConfigureAwait(false);
            if (why is null)
            {
                return;
            }

            var downSince = _time.GetTimestamp();
            var delay = _health.Lost(why);
            KmsSupervisorLog.Lost(_logger, why, (long)delay.TotalMilliseconds);
            var port = kms.Advertisement.Url.Port;
            await kms.DisposeAsync().ConfigureAwait(false);
            var failedOnPort = 0;
            while (true)
            {
                try
                {
                    await Task.Delay(delay, _time, stop).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                var target = failedOnPort < 2 && IsFree(kms.Advertisement.Url, port) ? port : 0;
                if (target == 0 && failedOnPort < 2)
                {
                    KmsSupervisorLog.PortTaken(_logger, port);
                }

                ISupervisedKms started;
                try
                {
                    started = await _launch(target, stop).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception e)
                {
                    failedOnPort += target == port ? 1 : 0;
                    delay = _health.RestartFailed(OneLine(e.Message));
                    var attempt = _health.FailedAttempts;
                    if (attempt >= _health.Options.PersistentFailureAfter)
                    {
                        KmsSupervisorLog.KeepsFailing(_logger, attempt, OneLine(e.Message), (long)delay.TotalMilliseconds);
                    }
                    else
                    {
                        KmsSupervisorLog.RestartFailed(_logger, attempt, OneLine(e.Message), (long)delay.TotalMilliseconds);
                    }

                    continue;
                }

                var old = kms.Advertisement.Url;
                kms = started;
                Volatile.Write(ref _current, started);
                var moved = _health.Restarted(started.Advertisement);
                KmsSupervisorLog.Restarted(_logger, started.Advertisement.Url, _health.Report.Restarts, (long)_time.GetElapsedTime(downSince).TotalMilliseconds);
                if (moved)
                {
                    KmsSupervisorLog.Moved(_logger, old, started.Advertisement.Url);
                    try
                    {
                        Moved?.Invoke(started.Advertisement);
                    }
                    catch (Exception e)
                    {
                        KmsSupervisorLog.MoveNotificationFailed(_logger, e);
                    }
                }

                break;
            }
        }
    }

    /// <summary>
    /// Watches one KMS until it exits or stops answering (it is then killed); returns how it went down, or null when
    /// the supervisor is stopping.
    /// </summary>
    private async Task<string?> WatchAsync(ISupervisedKms kms, CancellationToken stop)
    {
        var options = _health.Options;
        var advertisement = kms.Advertisement;
        using var client = new KmsClient(advertisement.Url, KmsServerTrust.For(_tee, advertisement.QuotingKey));
        var exited = kms.Exited;
        var failures = 0;
        while (true)
        {
            var tick = Task.Delay(options.ProbeInterval, _time, stop);
            await Task.WhenAny(exited, tick).ConfigureAwait(false);
            if (exited.IsCompleted)
            {
                return await exited.ConfigureAwait(false);
            }

            if (stop.IsCancellationRequested)
            {
                return null;
            }

            using var probe = CancellationTokenSource.CreateLinkedTokenSource(stop);
            probe.CancelAfter(options.ProbeTimeout);
            try
            {
                await client.CheckHealthAsync(probe.Token).ConfigureAwait(false);
                failures = 0;
                _health.ProbeSucceeded();
            }
            catch (Exception e) when (!stop.IsCancellationRequested)
            {
                if (exited.IsCompleted)
                {
                    return await exited.ConfigureAwait(false);
                }

                failures++;
                var error = e is OperationCanceledException ? $"no answer within {options.ProbeTimeout.TotalSeconds:0.#} s" : OneLine(e.Message);
                KmsSupervisorLog.ProbeFailed(_logger, advertisement.Url, failures, error);
                if (_health.ProbeFailed())
                {
                    kms.Kill();
                    await Task.WhenAny(exited, Task.Delay(TimeSpan.FromSeconds(5), _time, CancellationToken.None)).ConfigureAwait(false);
                    return $"stopped answering its health probe ({failures} failed in a row: {error}) and was killed";
                }
            }
            catch (Exception) when (stop.IsCancellationRequested)
            {
                return null;
            }
        }
    }

    /// <summary>
    /// Whether <paramref name="port"/> can be bound on the KMS's address now, the way the KMS's listener binds it (.NET's
    /// defaults: a port left in TIME_WAIT by the dead KMS counts as free; one another process listens on does not).
    /// </summary>
    private static bool IsFree(Uri url, int port)
    {
        var address = IPAddress.TryParse(url.Host.Trim('[', ']'), out var parsed) ? parsed : IPAddress.Loopback;
        try
        {
            // No explicit ReuseAddress: on Linux .NET maps it to SO_REUSEPORT, which would share a port another
            // process listens on with SO_REUSEPORT too — and the KMS's own bind would then still fail.
            using var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            socket.Bind(new IPEndPoint(address, port));
            socket.Listen(1);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static string OneLine(string message)
    {
        var line = message.ReplaceLineEndings(" ").Trim();
        return line.Length <= 400 ? line : line[..400] + "…";
    }
}
