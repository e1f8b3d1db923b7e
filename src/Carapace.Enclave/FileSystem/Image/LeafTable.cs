using System.Security.Cryptography;
using Carapace.Functions.Images;

namespace Carapace.Enclave.FileSystem.Image;

/// <summary>
/// The stored tags of all blocks of a mounted image (16 bytes each, in physical order), as read from its leaf table
/// and verified against the root. Kept in chunks of 2^20 entries so that images with more blocks than one array can
/// hold still mount.
/// </summary>
internal sealed class LeafTable
{
    private const int ChunkShift = 20;
    private const int ChunkEntries = 1 << ChunkShift;

    private readonly byte[][] _chunks;

    private LeafTable(byte[][] chunks, long count)
    {
        _chunks = chunks;
        Count = count;
    }

    /// <summary>Number of entries.</summary>
    public long Count { get; }

    /// <summary>Reads the leaf table of an image of <paramref name="count"/> blocks.</summary>
    public static LeafTable Read(ImageSource source, long count)
    {
        var chunks = new byte[(int)((count + ChunkEntries - 1) >> ChunkShift)][];
        for (var i = 0; i < chunks.Length; i++)
        {
            var entries = (int)Math.Min(ChunkEntries, count - ((long)i << ChunkShift));
            chunks[i] = new byte[entries * ImageLayout.LeafSize];
            source.ReadExactly(ImageLayout.LeafTableOffset + (((long)i << ChunkShift) * ImageLayout.LeafSize), chunks[i], "the leaf table");
        }

        return new LeafTable(chunks, count);
    }

    /// <summary>The tag of the block at physical position <paramref name="slot"/>.</summary>
    public ReadOnlySpan<byte> this[long slot] =>
        _chunks[(int)(slot >> ChunkShift)].AsSpan((int)(slot & (ChunkEntries - 1)) * ImageLayout.LeafSize, ImageLayout.LeafSize);

    /// <summary>Whether <paramref name="tag"/> is the stored tag of block <paramref name="slot"/> (constant time).</summary>
    public bool Matches(long slot, ReadOnlySpan<byte> tag) => CryptographicOperations.FixedTimeEquals(this[slot], tag);

    /// <summary>
    /// How many of the <paramref name="count"/> consecutive slots (ciphertext ‖ tag) in <paramref name="slots"/>, the
    /// first at physical position <paramref name="firstSlot"/>, carry their stored tag, counted from the first up to
    /// the first that does not (constant-time comparisons).
    /// </summary>
    public int MatchingRun(long firstSlot, ReadOnlySpan<byte> slots, int count)
    {
        for (var i = 0; i < count; i++)
        {
            var slot = slots.Slice(i * ImageLayout.SlotSize, ImageLayout.SlotSize);
            if (!Matches(firstSlot + i, slot[ImageLayout.BlockSize..]))
            {
                return i;
            }
        }

        return count;
    }
}
