using Microsoft.Extensions.Logging;

namespace Carapace.Platform;

/// <summary>The platform host's log messages; public metadata only.</summary>
internal static partial class PlatformLog
{
    [LoggerMessage(1, LogLevel.Information, "platform started: gateway {Endpoint}, {StemCells} stem cell(s); {Abandoned} step(s) and {Unfinished} other activation(s) of the previous run recorded as failed")]
    public static partial void Started(ILogger logger, Uri endpoint, int stemCells, int abandoned, int unfinished);

    [LoggerMessage(2, LogLevel.Information, "platform stopping; {Running} invocation(s) still running")]
    public static partial void Stopping(ILogger logger, int running);

    [LoggerMessage(3, LogLevel.Warning, "shutdown grace period over with {Running} invocation(s) still running; they are recorded as failed at the next start")]
    public static partial void DrainTimedOut(ILogger logger, int running);

    [LoggerMessage(4, LogLevel.Debug, "enclave {Pid}: {Line}")]
    public static partial void Enclave(ILogger logger, int pid, string line);

    [LoggerMessage(5, LogLevel.Information, "retention pruned {Count} finished activation(s) with their sealed output and logs")]
    public static partial void Pruned(ILogger logger, int count);

    [LoggerMessage(6, LogLevel.Warning, "retention could not prune activations ({Kind}: {Reason}); it tries again at the next interval")]
    public static partial void PruneFailed(ILogger logger, string kind, string reason);
}
