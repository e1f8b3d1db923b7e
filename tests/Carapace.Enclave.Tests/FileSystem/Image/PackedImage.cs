using System.Security.Cryptography;
using Carapace.Enclave.FileSystem.Image;
using Carapace.Functions.Images;

namespace Carapace.Enclave.Tests.FileSystem.Image;

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

    public ShieldedImage Mount() => ShieldedImage.Mount(Path, Key, Root);

    /// <summary>XORs one byte of the image file with <paramref name="mask"/> (calling it twice undoes it).</summary>
    public void Flip(long offset, byte mask = 0x01)
    {
        using var file = new FileStream(Path, FileMode.Open, FileAccess.ReadWrite);
        file.Position = offset;
        var b = file.ReadByte();
        file.Position = offset;
        file.WriteByte((byte)(b ^ mask));
    }

    public byte[] ReadBytes(long offset, int count)
    {
        using var file = new FileStream(Path, FileMode.Open, FileAccess.Read);
        var buffer = new byte[count];
        file.Position = offset;
        file.ReadExactly(buffer);
        return buffer;
    }

    public void WriteBytes(long offset, ReadOnlySpan<byte> bytes)
    {
        using var file = new FileStream(Path, FileMode.Open, FileAccess.ReadWrite);
        file.Position = offset;
        file.Write(bytes);
    }
}
