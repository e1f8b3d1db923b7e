namespace Carapace.Client.Gateway;

/// <summary>How much of a request body has been sent.</summary>
/// <param name="Sent">Bytes sent so far.</param>
/// <param name="Total">Bytes in the whole body.</param>
public readonly record struct UploadProgress(long Sent, long Total);
