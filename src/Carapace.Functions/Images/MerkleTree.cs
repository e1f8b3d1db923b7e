using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Carapace.Functions.Images;

/// <summary>
/// The hashes of the image's Merkle tree (docs/image.md), domain-separated by their first byte:
/// leaf = SHA-256(0x00 ‖ u32 file id ‖ u64 block index ‖ tag); node = SHA-256(0x01 ‖ left ‖ right);
/// image root = SHA-256(0x02 ‖ "CRPI" ‖ 0x01 ‖ image id ‖ key salt ‖ u64 block count ‖ tree top).
/// A level with an odd number of nodes carries its last node up unchanged (it is never paired with itself).
/// </summary>
internal static class MerkleTree
{
    /// <summary>Hash length.</summary>
    public const int HashSize = SHA256.HashSizeInBytes;

    private const byte LeafPrefix = 0x00;
    private const byte NodePrefix = 0x01;
    private const byte RootPrefix = 0x02;

    /// <summary>The leaf of the block <paramref name="block"/> of file <paramref name="fileId"/> whose tag is <paramref name="tag"/>.</summary>
    public static void Leaf(uint fileId, ulong block, ReadOnlySpan<byte> tag, Span<byte> hash)
    {
        Span<byte> input = stackalloc byte[1 + 4 + 8 + ImageLayout.TagSize];
        input[0] = LeafPrefix;
        BinaryPrimitives.WriteUInt32BigEndian(input[1..], fileId);
        BinaryPrimitives.WriteUInt64BigEndian(input[5..], block);
        tag[..ImageLayout.TagSize].CopyTo(input[13..]);
        SHA256.HashData(input, hash);
    }

    /// <summary>The parent of two nodes.</summary>
    public static void Node(ReadOnlySpan<byte> left, ReadOnlySpan<byte> right, Span<byte> hash)
    {
        Span<byte> input = stackalloc byte[1 + (2 * HashSize)];
        input[0] = NodePrefix;
        left[..HashSize].CopyTo(input[1..]);
        right[..HashSize].CopyTo(input[(1 + HashSize)..]);
        SHA256.HashData(input, hash);
    }

    /// <summary>The image root: binds the tree top to the image's identity and block count.</summary>
    public static void ImageRoot(ReadOnlySpan<byte> imageId, ReadOnlySpan<byte> salt, long blockCount, ReadOnlySpan<byte> top, Span<byte> root)
    {
        Span<byte> input = stackalloc byte[1 + 4 + 1 + ImageLayout.IdSize + ImageLayout.SaltSize + 8 + HashSize];
        input[0] = RootPrefix;
        ImageHeader.Magic.CopyTo(input[1..]);
        input[5] = ImageHeader.CurrentVersion;
        imageId[..ImageLayout.IdSize].CopyTo(input[6..]);
        salt[..ImageLayout.SaltSize].CopyTo(input[22..]);
        BinaryPrimitives.WriteUInt64BigEndian(input[38..], (ulong)blockCount);
        top[..HashSize].CopyTo(input[46..]);
        SHA256.HashData(input, root);
    }
}
