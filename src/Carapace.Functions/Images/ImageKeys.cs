using System.Security.Cryptography;
using System.Text;
using Carapace.Envelope.Keys;

namespace Carapace.Functions.Images;

/// <summary>
/// Keys and ids of file-system images. An image key is HKDF-SHA256(IKM = master key, salt = none,
/// info = "carapace image key v1" ‖ image id), 32 bytes; every image has its own random id and so its own key.
/// </summary>
public static class ImageKeys
{
    /// <summary>Image key length in bytes.</summary>
    public const int KeySize = ImageLayout.KeySize;

    /// <summary>Image id length in bytes.</summary>
    public const int IdSize = ImageLayout.IdSize;

    private static readonly byte[] s_label = Encoding.ASCII.GetBytes("carapace image key v1");

    /// <summary>A fresh random image id from the operating system's CSPRNG.</summary>
    public static byte[] NewImageId() => RandomNumberGenerator.GetBytes(IdSize);

    /// <summary>Derives the key of image <paramref name="imageId"/> from <paramref name="master"/>. Zero the result after use.</summary>
    /// <exception cref="ArgumentException">The image id is not 16 bytes.</exception>
    public static byte[] Derive(MasterKey master, ReadOnlySpan<byte> imageId)
    {
        var key = new byte[KeySize];
        Derive(master, imageId, key);
        return key;
    }

    /// <summary>Derives the key of image <paramref name="imageId"/> from <paramref name="master"/> into <paramref name="destination"/> (32 bytes).</summary>
    /// <exception cref="ArgumentException">The image id is not 16 bytes, or the destination is not 32.</exception>
    public static void Derive(MasterKey master, ReadOnlySpan<byte> imageId, Span<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(master);
        if (imageId.Length != IdSize)
        {
            throw new ArgumentException($"an image id is {IdSize} bytes, not {imageId.Length}", nameof(imageId));
        }

        if (destination.Length != KeySize)
        {
            throw new ArgumentException($"an image key is {KeySize} bytes, not {destination.Length}", nameof(destination));
        }

        Span<byte> info = stackalloc byte[s_label.Length + IdSize];
        s_label.CopyTo(info);
        imageId.CopyTo(info[s_label.Length..]);
        Span<byte> masterBytes = stackalloc byte[MasterKey.Size];
        try
        {
            master.CopyTo(masterBytes);
            HKDF.DeriveKey(HashAlgorithmName.SHA256, masterBytes, destination, ReadOnlySpan<byte>.Empty, info);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(masterBytes);
        }
    }
}
