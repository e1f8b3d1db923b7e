namespace Carapace.Client.Gateway;

/// <summary>An activation's logs: plaintext lines, or for a confidential activation only what identifies the sealed logs.</summary>
/// <param name="Lines">The log lines (empty for a confidential activation).</param>
/// <param name="Sealed">The sealed logs' size and hash, for a confidential activation that has logs.</param>
public sealed record GatewayActivationLogs(IReadOnlyList<string> Lines, SealedLogs? Sealed);
