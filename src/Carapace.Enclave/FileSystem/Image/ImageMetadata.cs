using System.Buffers.Binary;
using System.Globalization;
using System.Text.Unicode;

namespace Carapace.Enclave.FileSystem.Image;

/// <summary>
/// The encrypted metadata (file id 0) of an image: <c>"CRPM" ‖ u32 node count ‖ u64 length ‖ u32 file count ‖
/// u32 reserved ‖ node records</c>, zero-padded to whole blocks. A node record is <c>u8 kind (1 file, 2 directory) ‖
/// u32 parent ‖ u8 name length ‖ name (UTF-8) ‖ [files: u64 size]</c>. Nodes are listed breadth first from the root
/// (node 0, a directory with an empty name), each directory's children together and sorted by UTF-8 bytes; file
/// ids 1, 2, … follow node order, and the files' blocks follow the metadata blocks in file id order.
/// </summary>
internal static class ImageMetadata
{
    /// <summary>Length of the fixed part before the node records.</summary>
    public const int PreambleLength = 24;

    private const byte KindFile = 1;
    private const byte KindDirectory = 2;

    /// <summary>Shortest record of the root: kind, parent, name length (0).</summary>
    private const int MinRootRecordLength = 1 + 4 + 1;

    /// <summary>Shortest record of any other node: a directory with a one-byte name.</summary>
    private const int MinRecordLength = 1 + 4 + 1 + 1;

    /// <summary>Longest record: kind, parent, name length, name, size.</summary>
    private const int MaxRecordLength = 1 + 4 + 1 + ImageLayout.MaxNameBytes + 8;

    private static ReadOnlySpan<byte> Magic => "CRPM"u8;

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

    /// <summary>
    /// Reads the metadata length from the plaintext of metadata block 0, checking the preamble. The result is at
    /// least what the declared node count needs (so no allocation sized by that count exceeds a small multiple of the
    /// metadata) and at most what <paramref name="blockCount"/> blocks can hold.
    /// </summary>
    public static long ReadLength(ReadOnlySpan<byte> block0, long blockCount)
    {
        if (!block0.StartsWith(Magic))
        {
            throw Inconsistent("bad metadata magic");
        }

        var nodes = BinaryPrimitives.ReadUInt32BigEndian(block0[4..]);
        var length = BinaryPrimitives.ReadUInt64BigEndian(block0[8..]);
        if (nodes is 0 or > ImageLayout.MaxEntries + 1)
        {
            throw Inconsistent($"node count {nodes} is out of range");
        }

        // Every record takes room (the root at least 6 bytes, every other node at least 7), so a node count the length
        // cannot hold is refused here, before anything is sized by it.
        if (length < (ulong)(PreambleLength + MinRootRecordLength + ((long)(nodes - 1) * MinRecordLength))
            || length > (ulong)(PreambleLength + ((long)nodes * MaxRecordLength))
            || (long)ImageLayout.BlocksFor((long)length) > blockCount
            || ImageLayout.BlocksFor((long)length) * ImageLayout.BlockSize > Array.MaxLength)
        {
            throw Inconsistent($"metadata length {length} is out of range");
        }

        return (long)length;
    }

    /// <summary>
    /// Decodes and checks the metadata (all its blocks' plaintext; nodes point into it for their names) of an image of <paramref name="blockCount"/>
    /// blocks, <paramref name="metadataBlocks"/> of which hold metadata. Anything inconsistent is an
    /// <see cref="IntegrityViolationException"/>, never an index or format exception.
    /// </summary>
    public static ImageNode[] Decode(ReadOnlySpan<byte> metadata, long metadataBlocks, long blockCount, out int fileCount)
    {
        var length = ReadLength(metadata, blockCount);
        if (ImageLayout.BlocksFor(length) != metadataBlocks || metadata.Length != metadataBlocks * ImageLayout.BlockSize)
        {
            throw Inconsistent("metadata block count does not match its length");
        }

        if (metadata[(int)length..].ContainsAnyExcept((byte)0))
        {
            throw Inconsistent("metadata padding is not zero");
        }

        var count = (int)BinaryPrimitives.ReadUInt32BigEndian(metadata[4..]);
        var declaredFiles = BinaryPrimitives.ReadUInt32BigEndian(metadata[16..]);
        if (BinaryPrimitives.ReadUInt32BigEndian(metadata[20..]) != 0)
        {
            throw Inconsistent("reserved metadata bytes are not zero");
        }

        var body = metadata[PreambleLength..(int)length];
        var nodes = new ImageNode[count];
        var depth = new byte[count];
        var nameStart = new int[count];
        var nameLengths = new byte[count];
        var at = 0;
        var files = 0u;
        var nextSlot = metadataBlocks;
        for (var i = 0; i < count; i++)
        {
            if (body.Length - at < 6)
            {
                throw Inconsistent($"node {i} is cut off");
            }

            var kind = body[at];
            var parent = BinaryPrimitives.ReadUInt32BigEndian(body[(at + 1)..]);
            int nameLength = body[at + 5];
            at += 6;
            if (kind is not (KindFile or KindDirectory) || body.Length - at < nameLength + (kind == KindFile ? 8 : 0))
            {
                throw Inconsistent($"node {i} is malformed");
            }

            var name = body.Slice(at, nameLength);
            nameStart[i] = at;
            nameLengths[i] = (byte)nameLength;
            at += nameLength;
            ref var node = ref nodes[i];
            node.Kind = kind == KindFile ? NodeKind.File : NodeKind.Directory;
            node.Parent = (int)Math.Min(parent, int.MaxValue);
            if (i == 0)
            {
                if (kind != KindDirectory || parent != 0 || nameLength != 0)
                {
                    throw Inconsistent("the root is not an unnamed directory");
                }

                continue;
            }

            if (parent >= (uint)i || nodes[node.Parent].Kind != NodeKind.Directory || node.Parent < nodes[i - 1].Parent)
            {
                throw Inconsistent($"node {i} has an impossible parent");
            }

            CheckName(name, i);
            ref var dir = ref nodes[node.Parent];
            if (dir.ChildCount == 0)
            {
                dir.FirstChild = i;
            }
            else
            {
                // The previous node is the previous sibling: parents never decrease.
                var previous = body.Slice(nameStart[i - 1], nameLengths[i - 1]);
                if (NameOrder.Compare(previous, name) >= 0)
                {
                    throw Inconsistent($"node {i} is out of order or duplicated");
                }
            }

            dir.ChildCount++;
            depth[i] = (byte)(depth[node.Parent] + 1);
            if (depth[i] > ImageLayout.MaxDepth)
            {
                throw Inconsistent($"node {i} is nested too deeply");
            }

            if (!Utf8.IsValid(name))
            {
                throw Inconsistent($"node {i} has a name that is not UTF-8");
            }

            node.NameOffset = PreambleLength + nameStart[i];
            node.NameLength = nameLength;

            if (kind == KindFile)
            {
                var size = BinaryPrimitives.ReadUInt64BigEndian(body[at..]);
                at += 8;
                if (size > (ulong)ImageLayout.MaxImageBytes)
                {
                    throw Inconsistent($"node {i} has an impossible size");
                }

                files++;
                node.Size = (long)size;
                node.FileId = files;
                node.FirstSlot = nextSlot;
                nextSlot += ImageLayout.BlocksFor(node.Size);
                if (nextSlot > blockCount)
                {
                    throw Inconsistent("the files need more blocks than the image has");
                }
            }
        }

        if (at != body.Length)
        {
            throw Inconsistent("metadata has bytes after its last node");
        }

        if (files != declaredFiles)
        {
            throw Inconsistent("file count does not match the nodes");
        }

        if (nextSlot != blockCount)
        {
            throw Inconsistent("the files do not use exactly the image's blocks");
        }

        fileCount = (int)files;
        return nodes;
    }

    private static void CheckName(ReadOnlySpan<byte> name, int index)
    {
        if (name.IsEmpty || name.Contains((byte)'/') || name.Contains((byte)0) || name.SequenceEqual("."u8) || name.SequenceEqual(".."u8))
        {
            throw Inconsistent($"node {index} has an invalid name");
        }
    }

    private static IntegrityViolationException Inconsistent(string what) =>
        new(string.Create(CultureInfo.InvariantCulture, $"image metadata is inconsistent: {what}"));
}
