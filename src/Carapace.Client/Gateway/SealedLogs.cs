namespace Carapace.Client.Gateway;

/// <summary>What the platform shows of a confidential activation's sealed logs.</summary>
/// <param name="Size">Size of the sealed log bytes.</param>
/// <param name="Sha256">Their SHA-256, hex.</param>
public sealed record SealedLogs(long Size, string Sha256);
