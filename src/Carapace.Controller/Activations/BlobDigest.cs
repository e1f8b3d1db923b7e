using System.Security.Cryptography;

namespace Carapace.Controller.Activations;

/// <summary>What an activation record says about sealed bytes it does not show: their size and SHA-256.</summary>
/// <param name="Size">The size in bytes.</param>
/// <param name="Sha256">Lower-case hex SHA-256.</param>
public sealed record BlobDigest(long Size, string Sha256)
{
    /// <summary>The digest of <paramref name="bytes"/>.</summary>
    public static BlobDigest Of(ReadOnlySpan<byte> bytes) => new(bytes.Length, Convert.ToHexStringLower(SHA256.HashData(bytes)));
}
