using Microsoft.Extensions.Logging;

namespace Carapace.Gateway;

/// <summary>
/// Every message the gateway logs, with stable event ids. Arguments are public metadata only — endpoints, methods,
/// paths, statuses, request ids, namespaces and action names — never a request body, a credential or a key.
/// </summary>
internal static partial class GatewayLog
{
    [LoggerMessage(1, LogLevel.Information, "gateway listening on {Endpoint}")]
    public static partial void Started(ILogger logger, Uri endpoint);

    [LoggerMessage(2, LogLevel.Information, "gateway stopping")]
    public static partial void Stopping(ILogger logger);

    [LoggerMessage(3, LogLevel.Information, "{Method} {Path} refused with {Status} (request {RequestId})")]
    public static partial void Refused(ILogger logger, string method, string path, int status, string requestId);

    /// <summary>A bug: the only message logged with an exception (user errors are logged as one line without one).</summary>
    [LoggerMessage(4, LogLevel.Error, "{Method} {Path} failed (request {RequestId})")]
    public static partial void Failed(ILogger logger, string method, string path, string requestId, Exception exception);

    [LoggerMessage(5, LogLevel.Information, "action {Action} stored as version {Version} ({Kind}, confidential {Confidential})")]
    public static partial void ActionStored(ILogger logger, string action, string version, string kind, bool confidential);

    [LoggerMessage(6, LogLevel.Information, "action {Action} deleted")]
    public static partial void ActionDeleted(ILogger logger, string action);

    [LoggerMessage(7, LogLevel.Warning, "invocation in namespace {Namespace} refused: the admission queue is full")]
    public static partial void Throttled(ILogger logger, string @namespace);

    [LoggerMessage(8, LogLevel.Information, "{Method} {Path} refused with {Status}: {Reason} (request {RequestId})")]
    public static partial void BadRequest(ILogger logger, string method, string path, int status, string requestId, string reason);

    [LoggerMessage(9, LogLevel.Information, "invocation of {Action} refused: {Reason} (request {RequestId})")]
    public static partial void NotRunnable(ILogger logger, string action, string requestId, string reason);

    [LoggerMessage(20, LogLevel.Warning, "{Method} {Path} refused with 507: the platform's disk is full (request {RequestId})")]
    public static partial void StorageFull(ILogger logger, string method, string path, string requestId);

    [LoggerMessage(21, LogLevel.Warning, "activation {ActivationId} of {Action} failed: the KMS is unavailable; answered 503, retry after {RetryAfterSeconds} s")]
    public static partial void KmsUnavailable(ILogger logger, string activationId, string action, int retryAfterSeconds);
}
