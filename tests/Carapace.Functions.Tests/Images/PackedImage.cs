using System.Security.Cryptography;
using Carapace.Functions.Images;

namespace Carapace.Functions.Tests.Images;

/// <summary>An image packed from a source directory to a file, with the key and id it was packed with.</summary>
internal sealed class PackedImage
{
    private PackedImage(string path, byte[] key, byte[] id, ImageDescription description)
    {
        Path = path;
        Key = key;
        Id = id;
        Description = description;
    }

    public string Path { get; }

    public byte[] Key { get; }

    public byte[] Id { get; }

    public ImageDescription Description { get; }

    public byte[] Root => Description.Root.ToArray();

    public static PackedImage Pack(string source, string path, byte[]? key = null, byte[]? id = null)
    {
        key ??= RandomNumberGenerator.GetBytes(32);
        id ??= ImageKeys.NewImageId();
        using var output = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite);
        var description = ImagePacker.Pack(source, output, id, key);
        return new PackedImage(path, key, id, description);
    }
}
