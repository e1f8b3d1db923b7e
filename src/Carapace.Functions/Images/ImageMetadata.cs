using System.Buffers.Binary;

namespace Carapace.Functions.Images;

/// <summary>
/// The encrypted metadata (file id 0) of an image: <c>"CRPM" ‖ u32 node count ‖ u64 length ‖ u32 file count ‖
/// u32 reserved ‖ node records</c>, zero-padded to whole blocks. A node record is <c>u8 kind (1 file, 2 directory) ‖
/// u32 parent ‖ u8 name length ‖ name (UTF-8) ‖ [files: u64 size]</c>. Nodes are listed breadth first from the root
/// (node 0, a directory with an empty name), each directory's children together and sorted by UTF-8 bytes; file
/// ids 1, 2, … follow node order, and the files' blocks follow the metadata blocks in file id order. This is the
/// encoding (what the packer writes); the enclave's reader decodes and checks it (<c>ImageMetadataReader</c>).
/// </summary>
internal static class ImageMetadata
{
    /// <summary>Length of the fixed part before the node records.</summary>
    public const int PreambleLength = 24;

    /// <summary>The kind byte of a file's record.</summary>
    public const byte KindFile = 1;

    /// <summary>The kind byte of a directory's record.</summary>
    public const byte KindDirectory = 2;

    /// <summary>Longest record: kind, parent, name length, name, size.</summary>
    public const int MaxRecordLength = 1 + 4 + 1 + ImageLayout.MaxNameBytes + 8;

    /// <summary>The first four bytes of the metadata.</summary>
    public static ReadOnlySpan<byte> Magic => "CRPM"u8;

    /// <summary>Encodes the tree (node 0 = root) into whole blocks of metadata plaintext. The caller zeroes the result.</summary>
    public static byte[] Encode(IReadOnlyList<SourceEntry> nodes, out long length)
    {
        length = PreambleLength;
        var files = 0;
        for (var i = 1; i < nodes.Count; i++)
        {
            length += 1 + 4 + 1 + nodes[i].NameUtf8.Length + (nodes[i].IsDirectory ? 0 : 8);
            files += nodes[i].IsDirectory ? 0 : 1;
        }

        // The root's record: a directory with an empty name and itself as parent.
        length += 1 + 4 + 1;
        var blocks = ImageLayout.BlocksFor(length);
        if (blocks * ImageLayout.BlockSize > Array.MaxLength)
        {
            throw new ImagePackException($"the tree's metadata ({length} bytes) is too large for one image");
        }

        var buffer = new byte[blocks * ImageLayout.BlockSize];
        var span = buffer.AsSpan();
        Magic.CopyTo(span);
        BinaryPrimitives.WriteUInt32BigEndian(span[4..], (uint)nodes.Count);
        BinaryPrimitives.WriteUInt64BigEndian(span[8..], (ulong)length);
        BinaryPrimitives.WriteUInt32BigEndian(span[16..], (uint)files);
        var at = PreambleLength;
        for (var i = 0; i < nodes.Count; i++)
        {
            var node = nodes[i];
            span[at++] = node.IsDirectory ? KindDirectory : KindFile;
            BinaryPrimitives.WriteUInt32BigEndian(span[at..], (uint)node.Parent);
            at += 4;
            span[at++] = (byte)node.NameUtf8.Length;
            node.NameUtf8.CopyTo(span[at..]);
            at += node.NameUtf8.Length;
            if (!node.IsDirectory)
            {
                BinaryPrimitives.WriteUInt64BigEndian(span[at..], (ulong)node.Size);
                at += 8;
            }
        }

        if (at != length)
        {
            throw new InvalidOperationException("metadata length computed wrongly");
        }

        return buffer;
    }
}
