using Microsoft.Extensions.Logging;

namespace Carapace.Cluster;

/// <summary>What a node logs (metadata only: names, addresses, counts).</summary>
internal static partial class ClusterLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "node {Name} ({Roles}) joined the cluster as {Silo}; gateway {Gateway}")]
    public static partial void Started(ILogger logger, string name, string roles, string silo, Uri? gateway);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "node {Name} is leaving the cluster")]
    public static partial void Stopping(ILogger logger, string name);

    [LoggerMessage(EventId = 3, Level = LogLevel.Debug, Message = "enclave {Pid}: {Line}")]
    public static partial void Enclave(ILogger logger, int pid, string line);
}
