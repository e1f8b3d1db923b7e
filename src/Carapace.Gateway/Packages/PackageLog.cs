using Microsoft.Extensions.Logging;

namespace Carapace.Gateway.Packages;

/// <summary>What the gateway logs about packages (public names only), with stable event ids.</summary>
internal static partial class PackageLog
{
    [LoggerMessage(30, LogLevel.Information, "package {Package} stored as version {Version} (binding: {Binding})")]
    public static partial void Stored(ILogger logger, string package, string version, string binding);

    [LoggerMessage(31, LogLevel.Information, "package {Package} deleted with {Actions} actions")]
    public static partial void Deleted(ILogger logger, string package, int actions);
}
