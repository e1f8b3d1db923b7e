using Carapace.Protocol.Telemetry;

namespace Carapace.Gateway;

/// <summary>
/// The gateway's spans and metrics (source and meter <see cref="Name"/>): <c>carapace.gateway.request</c> (every request, tagged with its status,
/// from the first middleware on) with <c>auth</c> (head limits and credentials), and for an action invocation
/// <c>invoke</c> (the whole endpoint, tagged confidential, blocking and its activation id) with <c>parse</c> (resolving the action, reading and checking
/// the body) and <c>respond</c> (writing the result); for a web action, <c>web</c> (the whole endpoint). Tags carry metadata only: never a body, header value or parameter.
/// </summary>
public static class GatewayTelemetry
{
    /// <summary>The activity source and meter name.</summary>
    public const string Name = "Carapace.Gateway";

    /// <summary>The gateway's instruments.</summary>
    public static StageTelemetry Stages { get; } = new(Name, "carapace.gateway");
}
