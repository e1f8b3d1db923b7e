namespace Carapace.Client.Gateway;

/// <summary>Why a gateway request failed.</summary>
public enum GatewayFailure
{
    /// <summary>The gateway answered with an error status (<see cref="GatewayException.StatusCode"/>, OpenWhisk <c>error</c> and <c>code</c>).</summary>
    Rejected,

    /// <summary>The gateway could not be reached (refused, unresolvable, TLS failure other than trust, connection lost).</summary>
    Unreachable,

    /// <summary>The gateway's certificate is not from the pinned platform CA or is not for the host name; nothing was sent.</summary>
    Untrusted,

    /// <summary>The gateway did not answer in time.</summary>
    TimedOut,

    /// <summary>The gateway answered with a body this client cannot read.</summary>
    BadResponse,

    /// <summary>
    /// The activation asked for exists but has not finished: a 404 with <c>Retry-After</c>, as OpenWhisk answers
    /// (an activation is there for its clients only once it ended).
    /// </summary>
    Unfinished,
}
