using Microsoft.Extensions.Logging;

namespace Carapace.Gateway.Triggers;

/// <summary>What the gateway logs about triggers and rules (public names and ids only, never a payload), with stable event ids.</summary>
internal static partial class TriggerLog
{
    [LoggerMessage(40, LogLevel.Information, "trigger {Trigger} stored as version {Version}")]
    public static partial void TriggerStored(ILogger logger, string trigger, string version);

    [LoggerMessage(41, LogLevel.Information, "trigger {Trigger} deleted")]
    public static partial void TriggerDeleted(ILogger logger, string trigger);

    [LoggerMessage(42, LogLevel.Information, "trigger {Trigger} refused: feeds are not supported")]
    public static partial void FeedRefused(ILogger logger, string trigger);

    [LoggerMessage(43, LogLevel.Information, "trigger {Trigger} fired as activation {ActivationId}: {Activated} of {Rules} rules activated their action")]
    public static partial void Fired(ILogger logger, string trigger, string activationId, int activated, int rules);

    [LoggerMessage(44, LogLevel.Information, "rule {Rule} stored as version {Version} ({Trigger} -> {Action})")]
    public static partial void RuleStored(ILogger logger, string rule, string version, string trigger, string action);

    [LoggerMessage(45, LogLevel.Information, "rule {Rule} deleted")]
    public static partial void RuleDeleted(ILogger logger, string rule);

    [LoggerMessage(46, LogLevel.Information, "rule {Rule} set {Status}")]
    public static partial void RuleStatusSet(ILogger logger, string rule, string status);
}
