using Microsoft.Extensions.Logging;

namespace Carapace.Platform.Kms;

/// <summary>What the KMS supervisor logs, with stable event ids; public facts only (addresses, exit codes, counts, waits).</summary>
internal static partial class KmsSupervisorLog
{
    [LoggerMessage(101, LogLevel.Error,
        "the KMS {Why}; confidential invocations that need a new enclave get 503 until it is back (warm enclaves keep serving); restarting it in {DelayMs} ms")]
    public static partial void Lost(ILogger logger, string why, long delayMs);

    [LoggerMessage(102, LogLevel.Warning, "the KMS at {Endpoint} did not answer its health probe ({Failures} in a row): {Error}")]
    public static partial void ProbeFailed(ILogger logger, Uri endpoint, int failures, string error);

    [LoggerMessage(103, LogLevel.Warning, "KMS restart attempt {Attempt} failed: {Error}; next attempt in {DelayMs} ms")]
    public static partial void RestartFailed(ILogger logger, int attempt, string error, long delayMs);

    [LoggerMessage(104, LogLevel.Error,
        "the KMS has failed to restart {Attempt} times in a row ({Error}); still trying every {DelayMs} ms — confidential invocations that need a new enclave get 503 meanwhile; check the KMS's log lines above (run 'carapace up --verbose' to see them) and the data disk")]
    public static partial void KeepsFailing(ILogger logger, int attempt, string error, long delayMs);

    [LoggerMessage(105, LogLevel.Information, "the KMS is back at {Endpoint} (restart {Restarts}, {DownMs} ms after it went down)")]
    public static partial void Restarted(ILogger logger, Uri endpoint, int restarts, long downMs);

    [LoggerMessage(106, LogLevel.Warning,
        "port {Port} of the KMS is held by another process; the KMS restarts on a new port, and the gateway, the enclaves and platform.json are told the new address")]
    public static partial void PortTaken(ILogger logger, int port);

    [LoggerMessage(107, LogLevel.Warning, "the KMS moved from {Old} to {New}")]
    public static partial void Moved(ILogger logger, Uri old, Uri @new);

    [LoggerMessage(108, LogLevel.Error, "telling a holder of the KMS address that it moved failed")]
    public static partial void MoveNotificationFailed(ILogger logger, Exception exception);
}
