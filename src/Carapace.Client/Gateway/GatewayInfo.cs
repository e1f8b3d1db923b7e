using Carapace.Client.Profiles;

namespace Carapace.Client.Gateway;

/// <summary>The gateway's <c>GET /api/v1/carapace/info</c>: who the credential is and where the platform's KMS is.</summary>
/// <param name="Namespace">The credential's namespace (what <c>_</c> stands for).</param>
/// <param name="Version">The platform's version, when it says.</param>
/// <param name="Kms">
/// The KMS the gateway advertises, or null when it names none. A client never takes this on trust: it connects to the
/// KMS over attested TLS and checks the measurement against its own build's.
/// </param>
public sealed record GatewayInfo(string Namespace, string? Version, PlatformKms? Kms);
