using System.Security.Cryptography;
using Carapace.Functions.Images;
using FsCheck.Xunit;

namespace Carapace.Functions.Tests.Images;

/// <summary>The streaming Merkle builder computes the tree docs/image.md defines, with its odd-node rule.</summary>
public sealed class MerkleTreeTests
{
    [Fact]
    public void One_leaf_is_its_own_top()
    {
        var tag = RandomNumberGenerator.GetBytes(16);
        Assert.Equal(Leaf(0, 0, tag), Top([(0, 0, tag)]));
    }

    [Fact]
    public void Three_leaves_carry_the_third_up_unchanged()
    {
        var tags = Enumerable.Range(0, 3).Select(_ => RandomNumberGenerator.GetBytes(16)).ToArray();
        var l0 = Leaf(0, 0, tags[0]);
        var l1 = Leaf(1, 0, tags[1]);
        var l2 = Leaf(1, 1, tags[2]);
        Assert.Equal(Node(Node(l0, l1), l2), Top([(0, 0, tags[0]), (1, 0, tags[1]), (1, 1, tags[2])]));
    }

    [Fact]
    public void Leaves_and_nodes_are_domain_separated_by_hand()
    {
        // leaf = SHA-256(0x00 ‖ u32 file ‖ u64 block ‖ tag), node = SHA-256(0x01 ‖ left ‖ right), big-endian.
        var tag = Enumerable.Range(0, 16).Select(i => (byte)i).ToArray();
        byte[] leafInput = [0x00, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0, 9, .. tag];
        Assert.Equal(SHA256.HashData(leafInput), Leaf(7, 9, tag));
        var left = Leaf(7, 9, tag);
        byte[] nodeInput = [0x01, .. left, .. left];
        Assert.Equal(SHA256.HashData(nodeInput), Node(left, left));
    }

    [Property(MaxTest = 200)]
    public void The_streaming_builder_matches_level_by_level_hashing(byte count)
    {
        var leaves = Enumerable.Range(0, count + 1)
            .Select(i => ((uint)(i % 5), (ulong)i, RandomNumberGenerator.GetBytes(16)))
            .ToArray();
        Assert.Equal(Reference(leaves), Top(leaves));
    }

    [Fact]
    public void The_image_root_binds_id_salt_and_block_count()
    {
        var top = RandomNumberGenerator.GetBytes(32);
        var id = RandomNumberGenerator.GetBytes(16);
        var salt = RandomNumberGenerator.GetBytes(16);
        var root = new byte[32];
        MerkleTree.ImageRoot(id, salt, 5, top, root);
        byte[] input = [0x02, .. "CRPI"u8, 0x01, .. id, .. salt, 0, 0, 0, 0, 0, 0, 0, 5, .. top];
        Assert.Equal(SHA256.HashData(input), root);
        var other = new byte[32];
        MerkleTree.ImageRoot(id, salt, 6, top, other);
        Assert.NotEqual(root, other);
    }

    private static byte[] Reference((uint File, ulong Block, byte[] Tag)[] leaves)
    {
        var level = leaves.Select(l => Leaf(l.File, l.Block, l.Tag)).ToList();
        while (level.Count > 1)
        {
            var next = new List<byte[]>();
            for (var i = 0; i + 1 < level.Count; i += 2)
            {
                next.Add(Node(level[i], level[i + 1]));
            }

            if (level.Count % 2 == 1)
            {
                next.Add(level[^1]);
            }

            level = next;
        }

        return level[0];
    }

    private static byte[] Top((uint File, ulong Block, byte[] Tag)[] leaves)
    {
        var builder = new MerkleRootBuilder();
        foreach (var (file, block, tag) in leaves)
        {
            builder.Add(file, block, tag);
        }

        var top = new byte[32];
        builder.Top(top);
        return top;
    }

    private static byte[] Leaf(uint file, ulong block, byte[] tag)
    {
        var hash = new byte[32];
        MerkleTree.Leaf(file, block, tag, hash);
        return hash;
    }

    private static byte[] Node(byte[] left, byte[] right)
    {
        var hash = new byte[32];
        MerkleTree.Node(left, right, hash);
        return hash;
    }
}
