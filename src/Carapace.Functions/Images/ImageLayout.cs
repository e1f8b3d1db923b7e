using System.Buffers.Binary;

namespace Carapace.Functions.Images;

/// <summary>
/// The fixed numbers of image format v1 (docs/image.md) and the arithmetic of its layout:
/// <c>header (96 B) ‖ leaf table (16 B per block) ‖ block slots (4096 B ciphertext ‖ 16 B tag per block)</c>.
/// </summary>
internal static class ImageLayout
{
    /// <summary>Plaintext bytes per block.</summary>
    public const int BlockSize = 4096;

    /// <summary>log2 of <see cref="BlockSize"/>, as stored in the header.</summary>
    public const int BlockSizeLog2 = 12;

    /// <summary>AES-GCM tag length.</summary>
    public const int TagSize = 16;

    /// <summary>One stored block: ciphertext then tag.</summary>
    public const int SlotSize = BlockSize + TagSize;

    /// <summary>One entry of the leaf table: the tag of the block at that position.</summary>
    public const int LeafSize = TagSize;

    /// <summary>Length of the public header.</summary>
    public const int HeaderLength = 96;

    /// <summary>Bytes of image per block (its slot and its leaf-table entry).</summary>
    public const int BytesPerBlock = SlotSize + LeafSize;

    /// <summary>Largest image, in bytes (1 TiB).</summary>
    public const long MaxImageBytes = 1L << 40;

    /// <summary>Most blocks an image can hold within <see cref="MaxImageBytes"/>.</summary>
    public const long MaxBlocks = (MaxImageBytes - HeaderLength) / BytesPerBlock;

    /// <summary>Most entries (files and directories, not counting the root).</summary>
    public const int MaxEntries = 1_000_000;

    /// <summary>Longest name, in UTF-8 bytes.</summary>
    public const int MaxNameBytes = 255;

    /// <summary>Deepest entry: "a/b/c" has depth 3.</summary>
    public const int MaxDepth = 64;

    /// <summary>Image id length.</summary>
    public const int IdSize = 16;

    /// <summary>Key salt length.</summary>
    public const int SaltSize = 16;

    /// <summary>Image key length (AES-256).</summary>
    public const int KeySize = 32;

    /// <summary>Root length (SHA-256).</summary>
    public const int RootSize = 32;

    /// <summary>The file id of the metadata "file".</summary>
    public const uint MetadataFileId = 0;

    /// <summary>AES-GCM nonce length.</summary>
    public const int NonceSize = 12;

    /// <summary>Associated data length: image id ‖ u32 file id ‖ u64 block index.</summary>
    public const int AssociatedDataSize = IdSize + 4 + 8;

    /// <summary>Where the leaf table starts.</summary>
    public const long LeafTableOffset = HeaderLength;

    /// <summary>Where the block slots start, for an image of <paramref name="blockCount"/> blocks.</summary>
    public static long BlockAreaOffset(long blockCount) => HeaderLength + (blockCount * LeafSize);

    /// <summary>Where the slot of block <paramref name="slot"/> (physical position) starts.</summary>
    public static long SlotOffset(long blockCount, long slot) => BlockAreaOffset(blockCount) + (slot * SlotSize);

    /// <summary>The exact length of an image of <paramref name="blockCount"/> blocks.</summary>
    public static long ImageBytes(long blockCount) => HeaderLength + (blockCount * BytesPerBlock);

    /// <summary>How many blocks hold <paramref name="length"/> bytes.</summary>
    public static long BlocksFor(long length) => (length + BlockSize - 1) / BlockSize;

    /// <summary>The nonce of a block: u32 file id ‖ u64 block index (big-endian).</summary>
    public static void WriteNonce(Span<byte> nonce, uint fileId, ulong block)
    {
        BinaryPrimitives.WriteUInt32BigEndian(nonce, fileId);
        BinaryPrimitives.WriteUInt64BigEndian(nonce[4..], block);
    }

    /// <summary>The associated data of a block: image id ‖ u32 file id ‖ u64 block index (big-endian).</summary>
    public static void WriteAssociatedData(Span<byte> data, ReadOnlySpan<byte> imageId, uint fileId, ulong block)
    {
        imageId.CopyTo(data);
        BinaryPrimitives.WriteUInt32BigEndian(data[IdSize..], fileId);
        BinaryPrimitives.WriteUInt64BigEndian(data[(IdSize + 4)..], block);
    }
}
