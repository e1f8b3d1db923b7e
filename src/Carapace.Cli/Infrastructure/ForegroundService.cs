using System.Runtime.InteropServices;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace Carapace.Cli.Infrastructure;

/// <summary>
/// What a command that serves in the foreground (<c>carapace up</c>, <c>carapace kms start</c>) needs: one-line
/// timestamped logs on stderr (stdout stays for what the command prints), and a token that Ctrl-C or SIGTERM cancels.
/// </summary>
internal sealed class ForegroundService : IDisposable
{
    private readonly CancellationTokenSource _stop;
    private readonly PosixSignalRegistration _sigterm;

    public ForegroundService(CancellationToken cancel, LogLevel level = LogLevel.Information)
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

    public void Dispose()
    {
        _sigterm.Dispose();
        _stop.Dispose();
        Loggers.Dispose();
    }
}
