using Carapace.Client.Profiles;

namespace Carapace.Client.Gateway;

/// <summary>The gateway's <c>GET /api/v1/carapace/info</c>: who the credential is, where the platform's KMS is, and its health.</summary>
/// <param name="Namespace">The credential's namespace (what <c>_</c> stands for).</param>
/// <param name="Version">The platform's version, when it says.</param>
/// <param name="Kms">
/// The KMS the gateway advertises, or null when it names none. A client never takes this on trust: it connects to the
/// KMS over attested TLS and checks the measurement against its own build's.
/// </param>
public sealed record GatewayInfo(string Namespace, string? Version, PlatformKms? Kms)
{
    /// <summary>The supervised KMS's health, when the platform reports it.</summary>
    public GatewayKmsHealth? KmsHealth { get; init; }

    /// <summary>The worker's prewarmed enclaves, when the platform reports them.</summary>
    public GatewayStemCells? StemCells { get; init; }
}

/// <summary>The health of the platform's KMS as the gateway reports it.</summary>
/// <param name="State"><c>up</c>, <c>restarting</c> or <c>stopped</c>.</param>
/// <param name="Since">When it entered that state.</param>
/// <param name="SinceSeconds">How long ago that was, by the platform's clock.</param>
/// <param name="Restarts">How many times the platform restarted it.</param>
/// <param name="LastError">Why it last went down or last failed to start; null if never.</param>
/// <param name="RetryAfterSeconds">While it is not up: when to retry, in seconds.</param>
public sealed record GatewayKmsHealth(string State, DateTimeOffset? Since, long? SinceSeconds, int Restarts, string? LastError, int? RetryAfterSeconds)
{
    /// <summary>True when the KMS is up.</summary>
    public bool IsUp => State == "up";
}

/// <summary>The platform's prewarmed enclave processes.</summary>
/// <param name="Target">How many it keeps ready.</param>
/// <param name="Ready">How many are ready now.</param>
/// <param name="StartFailures">Background starts that failed so far.</param>
public sealed record GatewayStemCells(int Target, int Ready, long StartFailures);
