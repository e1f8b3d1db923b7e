namespace Carapace.Functions.Images;

/// <summary>
/// Computes the top of the Merkle tree over leaves added left to right, in O(log n) memory: it keeps one complete
/// subtree per level, like a binary counter, and at the end folds them from the smallest (rightmost) up, which is
/// exactly the tree in which each level carries an unpaired last node up unchanged.
/// </summary>
internal sealed class MerkleRootBuilder
{
    private const int Levels = 64;

    private readonly byte[] _pending = new byte[Levels * MerkleTree.HashSize];
    private ulong _count;

    /// <summary>Leaves added so far.</summary>
    public long Count => (long)_count;

    /// <summary>Adds the next leaf.</summary>
    public void Add(uint fileId, ulong block, ReadOnlySpan<byte> tag)
    {
        Span<byte> hash = stackalloc byte[MerkleTree.HashSize];
        MerkleTree.Leaf(fileId, block, tag, hash);
        AddHash(hash);
    }

    /// <summary>Adds the next leaf hash.</summary>
    public void AddHash(ReadOnlySpan<byte> leafHash)
    {
        Span<byte> hash = stackalloc byte[MerkleTree.HashSize];
        leafHash[..MerkleTree.HashSize].CopyTo(hash);
        var level = 0;

        // Bit k of the count says whether a complete subtree of 2^k leaves is waiting at level k.
        while ((_count & (1UL << level)) != 0)
        {
            MerkleTree.Node(Slot(level), hash, hash);
            level++;
        }

        hash.CopyTo(Slot(level));
        _count++;
    }

    /// <summary>The tree top over all leaves added (at least one).</summary>
    public void Top(Span<byte> top)
    {
        if (_count == 0)
        {
            throw new InvalidOperationException("a Merkle tree needs at least one leaf");
        }

        Span<byte> accumulator = stackalloc byte[MerkleTree.HashSize];
        var have = false;
        for (var level = 0; level < Levels; level++)
        {
            if ((_count & (1UL << level)) == 0)
            {
                continue;
            }

            if (have)
            {
                MerkleTree.Node(Slot(level), accumulator, accumulator);
            }
            else
            {
                Slot(level).CopyTo(accumulator);
                have = true;
            }
        }

        accumulator.CopyTo(top);
    }

    private Span<byte> Slot(int level) => _pending.AsSpan(level * MerkleTree.HashSize, MerkleTree.HashSize);
}
