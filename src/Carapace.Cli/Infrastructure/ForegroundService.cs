using System.Runtime.InteropServices;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace Carapace.Cli.Infrastructure;

/// <summary>
/// What a command that serves in the foreground (<c>carapace up</c>, <c>carapace kms start</c>) needs: one-line
/// timestamped logs on stderr (stdout stays for what the command prints), and a token that Ctrl-C or SIGTERM cancels
/// — and, for a child of another process, the end of standard input (its parent's pipe closing when the parent exits,
/// even when it was killed).
/// </summary>
internal sealed class ForegroundService : IDisposable
{
    private readonly CancellationTokenSource _stop;
    private readonly PosixSignalRegistration _sigterm;

    public ForegroundService(CancellationToken cancel, LogLevel level = LogLevel.Information, bool watchStandardInput = false)
    {
        Loggers = LoggerFactory.Create(logging =>
        {
            logging.SetMinimumLevel(level);
            logging.AddFilter("Microsoft", LogLevel.Warning);
            logging.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "HH:mm:ss ";
            });
            logging.Services.Configure<ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        });
        _stop = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        _sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            _stop.Cancel();
        });
        if (watchStandardInput)
        {
            _ = WatchStandardInputAsync();
        }
    }

    /// <summary>Logs to stderr.</summary>
    public ILoggerFactory Loggers { get; }

    /// <summary>Cancelled by Ctrl-C or SIGTERM.</summary>
    public CancellationToken Stopping => _stop.Token;

    /// <summary>Waits until Ctrl-C or SIGTERM.</summary>
    public async Task WaitAsync()
    {
        try
        {
            await Task.Delay(Timeout.Infinite, _stop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Asked to stop: the caller stops cleanly.
        }
    }

    private async Task WatchStandardInputAsync()
    {
        var buffer = new byte[256];
        try
        {
            await using var input = Console.OpenStandardInput();
            while (await input.ReadAsync(buffer, _stop.Token).ConfigureAwait(false) > 0)
            {
                // Nothing is expected on standard input; only its end matters.
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
        {
            // Closed or stopping: stop below either way.
        }

        try
        {
            await _stop.CancelAsync().ConfigureAwait(false);
        }
        catch (ObjectDisposedException)
        {
            // Already stopped and disposed.
        }
    }

    public void Dispose()
    {
        _sigterm.Dispose();
        _stop.Dispose();
        Loggers.Dispose();
    }
}
