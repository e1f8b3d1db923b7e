using System.Buffers.Binary;
using System.Globalization;

namespace Carapace.Functions.Images;

/// <summary>
/// The public header of a file-system image (format v1, see docs/image.md):
/// <c>magic "CRPI" ‖ version ‖ log2(block size) ‖ reserved[2] ‖ image id[16] ‖ key salt[16] ‖ block count u64 ‖
/// leaf table offset u64 ‖ block area offset u64 ‖ root[32]</c>, 96 bytes, big-endian. It reveals only the image's
/// identity, its root and its size; names, sizes and the shape of the tree are inside the encrypted metadata.
/// Reading it needs no key (for <c>carapace measure --image</c>); it is trusted only after a mount has checked the
/// whole image against the root the function was measured with.
/// </summary>
public sealed class ImageHeader
{
    /// <summary>The format version this build writes and reads.</summary>
    public const int CurrentVersion = 1;

    /// <summary>Length of the header in bytes.</summary>
    public const int Length = ImageLayout.HeaderLength;

    /// <summary>Plaintext bytes per block.</summary>
    public const int BlockSize = ImageLayout.BlockSize;

    private ImageHeader(byte[] imageId, byte[] salt, long blockCount, byte[] root)
    {
        ImageId = imageId;
        Salt = salt;
        BlockCount = blockCount;
        Root = root;
    }

    /// <summary>The first four bytes of every image.</summary>
    public static ReadOnlySpan<byte> Magic => "CRPI"u8;

    /// <summary>The format version (always <see cref="CurrentVersion"/> for a parsed header).</summary>
    public int Version => CurrentVersion;

    /// <summary>The image's random 16-byte id.</summary>
    public ReadOnlyMemory<byte> ImageId { get; }

    /// <summary>The 32-byte root the header claims; a mount compares it, and the root it recomputes, with the measured root.</summary>
    public ReadOnlyMemory<byte> Root { get; }

    /// <summary>Blocks in the image (metadata and data).</summary>
    public long BlockCount { get; }

    /// <summary>The exact length in bytes of an image with this header.</summary>
    public long ImageBytes => ImageLayout.ImageBytes(BlockCount);

    /// <summary>The random salt from which, with the image key, the block key of this image is derived.</summary>
    internal ReadOnlyMemory<byte> Salt { get; }

    /// <summary>The root as 64 lower-case hex digits.</summary>
    public string RootHex => Convert.ToHexStringLower(Root.Span);

    /// <summary>The image id as 32 lower-case hex digits.</summary>
    public string ImageIdHex => Convert.ToHexStringLower(ImageId.Span);

    /// <summary>
    /// Reads and checks the header at the current position of <paramref name="stream"/>, leaving the stream just
    /// after it. When the stream can seek, also checks that it holds exactly <see cref="ImageBytes"/> bytes from
    /// where the header starts. Needs no key and verifies nothing cryptographic.
    /// </summary>
    /// <exception cref="ImageFormatException">Bad magic, unsupported version, truncated, or a malformed header.</exception>
    /// <exception cref="IOException">The stream could not be read.</exception>
    public static ImageHeader Read(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var start = stream.CanSeek ? stream.Position : -1;
        var bytes = new byte[Length];
        var read = stream.ReadAtLeast(bytes, Length, throwOnEndOfStream: false);
        var header = Parse(bytes.AsSpan(0, read));
        if (start >= 0)
        {
            CheckLength(header, stream.Length - start);
        }

        return header;
    }

    /// <summary>Parses a header from the first bytes of an image (<paramref name="bytes"/> may be shorter than <see cref="Length"/> only for a truncated image).</summary>
    internal static ImageHeader Parse(ReadOnlySpan<byte> bytes)
    {
        var magicLength = Math.Min(bytes.Length, Magic.Length);
        if (!bytes[..magicLength].SequenceEqual(Magic[..magicLength]))
        {
            throw new ImageFormatException(ImageFormatErrorKind.BadMagic, "not a Carapace file-system image (bad magic; expected \"CRPI\")");
        }

        if (bytes.Length > 4 && bytes[4] != CurrentVersion)
        {
            throw new ImageFormatException(
                ImageFormatErrorKind.UnsupportedVersion,
                $"image format version {bytes[4]} is not supported (this build reads version {CurrentVersion})");
        }

        if (bytes.Length < Length)
        {
            throw new ImageFormatException(
                ImageFormatErrorKind.Truncated,
                $"image is truncated: it ends inside its {Length}-byte header (after {bytes.Length} bytes)");
        }

        if (bytes[5] != ImageLayout.BlockSizeLog2)
        {
            throw Malformed($"block size 2^{bytes[5]} is not supported (only 2^{ImageLayout.BlockSizeLog2})");
        }

        if (bytes[6] != 0 || bytes[7] != 0)
        {
            throw Malformed("reserved header bytes are not zero");
        }

        var blockCount = BinaryPrimitives.ReadUInt64BigEndian(bytes[40..]);
        if (blockCount is 0 or > (ulong)ImageLayout.MaxBlocks)
        {
            throw Malformed($"block count {blockCount} is out of range (1..{ImageLayout.MaxBlocks})");
        }

        var leafOffset = BinaryPrimitives.ReadUInt64BigEndian(bytes[48..]);
        var blockOffset = BinaryPrimitives.ReadUInt64BigEndian(bytes[56..]);
        if (leafOffset != (ulong)ImageLayout.LeafTableOffset || blockOffset != (ulong)ImageLayout.BlockAreaOffset((long)blockCount))
        {
            throw Malformed("leaf table or block area offset does not match the block count");
        }

        return new ImageHeader(
            bytes.Slice(8, ImageLayout.IdSize).ToArray(),
            bytes.Slice(24, ImageLayout.SaltSize).ToArray(),
            (long)blockCount,
            bytes.Slice(64, ImageLayout.RootSize).ToArray());
    }

    /// <summary>Checks that an image whose header is <paramref name="header"/> is exactly <paramref name="actualLength"/> bytes long.</summary>
    internal static void CheckLength(ImageHeader header, long actualLength)
    {
        if (actualLength < header.ImageBytes)
        {
            throw new ImageFormatException(
                ImageFormatErrorKind.Truncated,
                string.Create(CultureInfo.InvariantCulture, $"image is truncated: its header declares {header.ImageBytes} bytes but only {actualLength} are present"));
        }

        if (actualLength > header.ImageBytes)
        {
            throw Malformed(string.Create(
                CultureInfo.InvariantCulture,
                $"{actualLength - header.ImageBytes} bytes follow the end of the image ({header.ImageBytes} bytes declared)"));
        }
    }

    /// <summary>Encodes a header into <paramref name="destination"/> (<see cref="Length"/> bytes).</summary>
    internal static void Write(Span<byte> destination, ReadOnlySpan<byte> imageId, ReadOnlySpan<byte> salt, long blockCount, ReadOnlySpan<byte> root)
    {
        destination = destination[..Length];
        destination.Clear();
        Magic.CopyTo(destination);
        destination[4] = CurrentVersion;
        destination[5] = ImageLayout.BlockSizeLog2;
        imageId.CopyTo(destination[8..]);
        salt.CopyTo(destination[24..]);
        BinaryPrimitives.WriteUInt64BigEndian(destination[40..], (ulong)blockCount);
        BinaryPrimitives.WriteUInt64BigEndian(destination[48..], (ulong)ImageLayout.LeafTableOffset);
        BinaryPrimitives.WriteUInt64BigEndian(destination[56..], (ulong)ImageLayout.BlockAreaOffset(blockCount));
        root.CopyTo(destination[64..]);
    }

    private static ImageFormatException Malformed(string what) =>
        new(ImageFormatErrorKind.Malformed, $"image header is malformed: {what}");
}
