using System.Text;
using Carapace.Enclave.FileSystem;
using Carapace.Enclave.FileSystem.Image;
using FsCheck.Xunit;

namespace Carapace.Enclave.Tests.FileSystem.Image;

/// <summary>
/// The metadata decoder trusts nothing: whatever bytes it is given (as a buggy packer might produce, under a valid
/// key), it returns a consistent tree or throws <see cref="IntegrityViolationException"/>, never anything else.
/// </summary>
public sealed class ImageMetadataTests
{
    private static readonly List<SourceEntry> s_nodes =
    [
        Entry(string.Empty, 0, true, 0),
        Entry("a", 0, true, 0),
        Entry("b.txt", 0, false, 5000),
        Entry("é", 0, false, 0),
        Entry("c", 1, false, 4096),
        Entry("d", 1, true, 0),
        Entry("e", 5, false, 1),
    ];

    // One metadata block, then b.txt (2 blocks), é (0), c (1), e (1).
    private const long BlockCount = 5;

    [Fact]
    public void The_encoded_tree_decodes_to_the_same_tree()
    {
        var metadata = ImageMetadata.Encode(s_nodes, out var length);
        Assert.Equal(4096, metadata.Length);
        var nodes = ImageMetadata.Decode(metadata, 1, BlockCount, out var files);
        Assert.Equal(4, files);
        Assert.Equal(s_nodes.Count, nodes.Length);
        Assert.Equal((1, 3), (nodes[0].FirstChild, nodes[0].ChildCount));
        Assert.Equal((4, 2), (nodes[1].FirstChild, nodes[1].ChildCount));
        Assert.Equal((1u, 1L, 5000L), (nodes[2].FileId, nodes[2].FirstSlot, nodes[2].Size));
        Assert.Equal((3u, 3L), (nodes[4].FileId, nodes[4].FirstSlot));
        Assert.Equal((4u, 4L), (nodes[6].FileId, nodes[6].FirstSlot));
        Assert.Equal(NodeKind.Directory, nodes[5].Kind);
        Assert.Equal("é", Encoding.UTF8.GetString(metadata, nodes[3].NameOffset, nodes[3].NameLength));
        Assert.True(length < 4096);
    }

    [Property(MaxTest = 3000)]
    public void Corrupted_metadata_decodes_consistently_or_is_an_integrity_violation(ushort position, byte value, byte blockDelta)
    {
        var metadata = ImageMetadata.Encode(s_nodes, out var length);
        metadata[position % (int)(length + 8)] = value;
        var blocks = BlockCount + (blockDelta % 3) - 1;
        try
        {
            var nodes = ImageMetadata.Decode(metadata, 1, blocks, out var files);
            Assert.Equal(files, nodes.Count(n => n.Kind == NodeKind.File));
            Assert.All(nodes, n => Assert.InRange(n.NameOffset + n.NameLength, 0, metadata.Length));
            Assert.All(nodes.Where(n => n.Kind == NodeKind.Directory), n => Assert.InRange(n.FirstChild + n.ChildCount, 0, nodes.Length));
        }
        catch (IntegrityViolationException)
        {
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData(".")]
    [InlineData("..")]
    [InlineData("a/b")]
    [InlineData("nul\0")]
    public void Invalid_names_are_refused(string name)
    {
        List<SourceEntry> nodes = [Entry(string.Empty, 0, true, 0), Entry(name, 0, false, 0)];
        var metadata = ImageMetadata.Encode(nodes, out _);
        Assert.Throws<IntegrityViolationException>(() => ImageMetadata.Decode(metadata, 1, 1, out _));
    }

    [Fact]
    public void Unsorted_or_duplicate_siblings_are_refused()
    {
        List<SourceEntry> unsorted = [Entry(string.Empty, 0, true, 0), Entry("b", 0, false, 0), Entry("a", 0, false, 0)];
        Assert.Throws<IntegrityViolationException>(() => ImageMetadata.Decode(ImageMetadata.Encode(unsorted, out _), 1, 1, out _));
        List<SourceEntry> duplicate = [Entry(string.Empty, 0, true, 0), Entry("a", 0, false, 0), Entry("a", 0, false, 0)];
        Assert.Throws<IntegrityViolationException>(() => ImageMetadata.Decode(ImageMetadata.Encode(duplicate, out _), 1, 1, out _));
    }

    [Fact]
    public void Files_that_do_not_fill_the_image_exactly_are_refused()
    {
        var metadata = ImageMetadata.Encode(s_nodes, out _);
        Assert.Throws<IntegrityViolationException>(() => ImageMetadata.Decode(metadata, 1, BlockCount + 1, out _));
        Assert.Throws<IntegrityViolationException>(() => ImageMetadata.Decode(metadata, 1, BlockCount - 1, out _));
    }

    [Fact]
    public void A_node_count_the_metadata_length_cannot_hold_is_refused_before_anything_is_sized_by_it()
    {
        // Found by fuzzing (fuzz/crashes/image-metadata): a one-block metadata declaring a million nodes made the
        // decoder allocate tens of MiB of node tables before reading the first record.
        var metadata = ImageMetadata.Encode([Entry(string.Empty, 0, true, 0)], out var length);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(metadata.AsSpan(4), 1_000_000);

        var before = GC.GetAllocatedBytesForCurrentThread();
        var error = Assert.Throws<IntegrityViolationException>(() => ImageMetadata.Decode(metadata, 1, 1, out _));
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Contains($"metadata length {length} is out of range", error.Message, StringComparison.Ordinal);
        Assert.InRange(allocated, 0, 1L << 20);
    }

    private static SourceEntry Entry(string name, int parent, bool directory, long size) =>
        new(name, Encoding.UTF8.GetBytes(name), parent, directory, size, "/nowhere/" + name, name, 0);
}
