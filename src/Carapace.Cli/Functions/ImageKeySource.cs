using System.Security.Cryptography;
using Carapace.Cli.Infrastructure;
using Carapace.Enclave.FileSystem.Image;
using Carapace.Envelope.Keys;

namespace Carapace.Cli.Functions;

/// <summary>
/// Where an image's key comes from: derived from a namespace master key and the image id (<c>--key FILE</c>), or a
/// random key kept in an image key file (<c>carapace-image-key-v1:BASE64</c>, mode 0600), by default <c>IMG.key</c>.
/// </summary>
internal static class ImageKeySource
{
    private const string Prefix = "carapace-image-key-v1:";

    public static string DefaultKeyFile(string imagePath) => imagePath + ".key";

    public static byte[] ForPacking(string? masterKeyPath, string imagePath, ReadOnlySpan<byte> imageId, out string? writtenKeyFile)
    {
        if (masterKeyPath is not null)
        {
            using var master = KeyFile.Read(masterKeyPath);
            writtenKeyFile = null;
            return ImageKeys.Derive(master, imageId);
        }

        var key = RandomNumberGenerator.GetBytes(ImageKeys.KeySize);
        writtenKeyFile = DefaultKeyFile(imagePath);
        KeyFile.WriteSecret(writtenKeyFile, Prefix, key, overwrite: true);
        return key;
    }

    public static byte[] ForRunning(string? masterKeyPath, string? imageKeyPath, string imagePath, ReadOnlySpan<byte> imageId)
    {
        if (masterKeyPath is not null)
        {
            using var master = KeyFile.Read(masterKeyPath);
            return ImageKeys.Derive(master, imageId);
        }

        var path = imageKeyPath ?? DefaultKeyFile(imagePath);
        if (!File.Exists(path))
        {
            throw new CliFailure($"no key for image {imagePath}: give --image-key FILE (default {DefaultKeyFile(imagePath)}) or --key MASTER if it was packed with one", ExitCodes.Usage);
        }

        return ReadKeyFile(path);
    }

    /// <summary>The key in an image key file (<c>carapace-image-key-v1:BASE64</c>, owner-only), as 'carapace pack' wrote it.</summary>
    /// <exception cref="KeyFileException">The file is not an image key file, or other users can read it.</exception>
    public static byte[] ReadKeyFile(string path) => KeyFile.ReadSecret(path, Prefix, "image key");
}
