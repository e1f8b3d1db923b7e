using Microsoft.Extensions.Logging;

namespace Carapace.Kms.Server;

/// <summary>
/// Every message the KMS server logs, with stable event ids. Arguments are public facts only — endpoints,
/// measurements, namespaces, function and secret names, versions, reasons — never a secret value, a key or a body.
/// </summary>
internal static partial class KmsServerLog
{
    [LoggerMessage(1, LogLevel.Information, "KMS listening on {Endpoint} with measurement {Measurement}")]
    public static partial void Started(ILogger logger, Uri endpoint, string measurement);

    [LoggerMessage(2, LogLevel.Warning,
        "SIMULATION: this KMS attests itself with {Backend}; "
        + "it has no hardware protection: anyone with access to this host can read its keys and forge its evidence. Never use it in production.")]
    public static partial void Simulation(ILogger logger, string backend);

    [LoggerMessage(3, LogLevel.Warning, "{Warning}")]
    public static partial void MasterKeyWarning(ILogger logger, string warning);

    [LoggerMessage(4, LogLevel.Information, "policy v{Version} of namespace '{Namespace}' accepted, approved by {ApprovedBy}")]
    public static partial void PolicyAccepted(ILogger logger, string @namespace, ulong version, string approvedBy);

    [LoggerMessage(5, LogLevel.Warning, "policy update refused ({Reason}): {Message}")]
    public static partial void PolicyRejected(ILogger logger, string reason, string message);

    [LoggerMessage(6, LogLevel.Information, "secret '{Name}' of namespace '{Namespace}': {Operation} applied as write v{Version}, approved by {ApprovedBy}")]
    public static partial void SecretWritten(ILogger logger, string @namespace, string name, string operation, long version, string approvedBy);

    [LoggerMessage(7, LogLevel.Information,
        "released to function '{Function}' of namespace '{Namespace}' ({Evidence} measurement {Measurement}): {Secrets} secret(s), {EdgeKeys} edge key(s)")]
    public static partial void Released(ILogger logger, string @namespace, string function, string evidence, string measurement, int secrets, int edgeKeys);

    [LoggerMessage(8, LogLevel.Warning, "release to function '{Function}' of namespace '{Namespace}' denied ({Reason}): {Message}")]
    public static partial void ReleaseDenied(ILogger logger, string @namespace, string function, string reason, string message);

    [LoggerMessage(9, LogLevel.Warning, "{Method} {Path} refused ({Status}, {Reason}): {Message}")]
    public static partial void RequestRefused(ILogger logger, string method, string path, int status, string reason, string message);

    [LoggerMessage(10, LogLevel.Error, "{Method} {Path} failed")]
    public static partial void RequestFailed(ILogger logger, string method, string path, Exception exception);

    [LoggerMessage(11, LogLevel.Information, "KMS stopping")]
    public static partial void Stopping(ILogger logger);

    [LoggerMessage(12, LogLevel.Information,
        "client keys of chain '{Chain}' of namespace '{Namespace}' ({Steps} step(s), policy v{PolicyVersion}) released to client '{Client}'")]
    public static partial void ClientKeysReleased(ILogger logger, string @namespace, string chain, int steps, ulong policyVersion, string client);

    [LoggerMessage(14, LogLevel.Information, "the KMS runs in {Tee} and attests itself with {Backend}")]
    public static partial void Hardware(ILogger logger, string tee, string backend);

    [LoggerMessage(15, LogLevel.Warning,
        "the KMS checks enclaves' hardware evidence against roots that are NOT the vendors' built-in ones (a test PKI was configured); never do this in production")]
    public static partial void CustomRoots(ILogger logger);

    [LoggerMessage(13, LogLevel.Warning, "client keys of chain '{Chain}' of namespace '{Namespace}' denied ({Status}, {Reason}): {Message}")]
    public static partial void ClientKeysDenied(ILogger logger, string @namespace, string chain, int status, string reason, string message);

    [LoggerMessage(14, LogLevel.Warning, "secret '{Name}' of namespace '{Namespace}': {Operation} refused ({Status}, {Reason}): {Message}")]
    public static partial void SecretWriteRejected(ILogger logger, string @namespace, string name, string operation, int status, string reason, string message);
}
