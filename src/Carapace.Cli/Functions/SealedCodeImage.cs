using System.Security.Cryptography;
using Carapace.Cli.Infrastructure;
using Carapace.Functions;
using Carapace.Functions.Images;

namespace Carapace.Cli.Functions;

/// <summary>
/// A shielded image that holds only a module at <see cref="SealedCode.PathInImage"/> (or a JavaScript source at
/// <see cref="SealedCode.JavaScriptPathInImage"/>), packed under a fresh random key
/// into a private temporary folder (the key beside it as <c>IMG.key</c>, mode 0600): what <c>--sealed-code</c> without
/// <c>--image</c> mounts. The folder, the plaintext copy of the module and the key file are deleted on dispose.
/// </summary>
internal sealed class SealedCodeImage : IDisposable
{
    private readonly string _folder;

    private SealedCodeImage(string folder, string imagePath)
    {
        _folder = folder;
        ImagePath = imagePath;
    }

    /// <summary>The packed image.</summary>
    public string ImagePath { get; }

    /// <summary>Packs <paramref name="module"/> (JavaScript source when <paramref name="javaScript"/>) alone into a new image.</summary>
    public static SealedCodeImage Pack(ReadOnlySpan<byte> module, bool javaScript = false)
    {
        var folder = Directory.CreateTempSubdirectory("carapace-sealed-code-").FullName;
        try
        {
            var tree = Directory.CreateDirectory(Path.Combine(folder, "tree", SealedCode.DirectoryInImage));
            var codePath = Path.Combine(tree.FullName, javaScript ? SealedCode.JavaScriptFileName : SealedCode.FileName);
            using (var code = new FileStream(codePath, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite }))
            {
                code.Write(module);
            }

            var imagePath = Path.Combine(folder, "code.img");
            var id = ImageKeys.NewImageId();
            var key = ImageKeySource.ForPacking(null, imagePath, id, out _);
            try
            {
                using var output = new FileStream(imagePath, FileMode.CreateNew, FileAccess.ReadWrite);
                ImagePacker.Pack(Path.Combine(folder, "tree"), output, id, key);
            }
            finally
            {
                CryptographicOperations.ZeroMemory(key);
                File.Delete(codePath);
            }

            return new SealedCodeImage(folder, imagePath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ImagePackException)
        {
            Directory.Delete(folder, recursive: true);
            throw new CliFailure("cannot pack the module into a shielded image: " + e.Message, ExitCodes.IoError);
        }
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: the folder is private (0700) and holds only the encrypted image and its key.
        }
    }
}
