using System.Security.Cryptography;
using System.Text;
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
        var text = Encoding.ASCII.GetBytes(Prefix + Convert.ToBase64String(key) + "\n");
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite };
            using var file = new FileStream(writtenKeyFile, options);
            file.Write(text);
            File.SetUnixFileMode(writtenKeyFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(text);
        }

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

        if ((File.GetUnixFileMode(path) & (UnixFileMode.GroupRead | UnixFileMode.OtherRead | UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) != 0)
        {
            throw new CliFailure($"image key file {path} is accessible by other users; run: chmod 600 {path}");
        }

        var text = File.ReadAllText(path).Trim();
        if (!text.StartsWith(Prefix, StringComparison.Ordinal))
        {
            throw new CliFailure($"{path} is not a Carapace image key file");
        }

        try
        {
            var key = Convert.FromBase64String(text[Prefix.Length..]);
            return key.Length == ImageKeys.KeySize ? key : throw new FormatException();
        }
        catch (FormatException)
        {
            throw new CliFailure($"{path} is damaged: its key is not {ImageKeys.KeySize} bytes of base64");
        }
    }
}
