namespace Carapace.Client.Gateway;

/// <summary>What the platform shows of a confidential activation's sealed logs.</summary>
/// <param name="Size">Size of the sealed log bytes.</param>
/// <param name="Sha256">Their SHA-256, hex.</param>
/// <param name="Envelope">
/// The sealed log envelope itself, which <c>/logs</c> carries (activation records do not); only the holder of the
/// chain step's log key opens it.
/// </param>
public sealed record SealedLogs(long Size, string Sha256, ReadOnlyMemory<byte>? Envelope = null);
