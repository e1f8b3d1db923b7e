using Carapace.Enclave.FileSystem;
using Carapace.Enclave.FileSystem.Image;
using Carapace.Enclave.Wasi;
using Carapace.Envelope.Keys;
using Carapace.Functions.Images;

namespace Carapace.Enclave.Tests.FileSystem.Image;

/// <summary>What is packed reads back the same: content, sizes, kinds, listings, and the read-only contract.</summary>
public sealed class ImageRoundTripTests(SampleImageFixture fixture) : IClassFixture<SampleImageFixture>
{
    private ShieldedImage Image => fixture.Image;

    [Fact]
    public void Every_file_reads_back_byte_for_byte()
    {
        foreach (var (path, content) in fixture.Files)
        {
            Assert.Equal(content, ReadAll(Image, path, 64 * 1024));
        }
    }

    [Fact]
    public void Files_read_back_through_small_unaligned_reads()
    {
        foreach (var (path, content) in fixture.Files.Where(f => f.Value.Length < 100_000))
        {
            Assert.Equal(content, ReadAll(Image, path, 1000));
            Assert.Equal(content, ReadAll(Image, path, 1));
        }
    }

    [Fact]
    public void Stat_reports_kind_and_size()
    {
        foreach (var (path, content) in fixture.Files)
        {
            Assert.Equal(Errno.Success, Image.Stat(path, out var info));
            Assert.Equal(NodeKind.File, info.Kind);
            Assert.Equal(content.Length, info.Size);
            Assert.Equal(0UL, info.ModifiedNanoseconds);
        }

        foreach (var path in SampleTree.Directories.Append(string.Empty))
        {
            Assert.Equal(Errno.Success, Image.Stat(path, out var info));
            Assert.Equal(NodeKind.Directory, info.Kind);
            Assert.Equal(0, info.Size);
        }
    }

    [Fact]
    public void Inodes_are_unique_and_match_listings()
    {
        var inodes = new HashSet<ulong>();
        foreach (var path in fixture.Files.Keys.Concat(SampleTree.Directories).Append(string.Empty))
        {
            Assert.Equal(Errno.Success, Image.Stat(path, out var info));
            Assert.True(inodes.Add(info.Inode), path);
        }

        Assert.Equal(Errno.Success, Image.List("a", out var entries));
        foreach (var entry in entries)
        {
            Assert.Equal(Errno.Success, Image.Stat("a/" + entry.Name, out var info));
            Assert.Equal(info.Inode, entry.Inode);
            Assert.Equal(info.Kind, entry.Kind);
        }
    }

    [Fact]
    public void The_root_listing_is_sorted_by_utf8_bytes()
    {
        Assert.Equal(Errno.Success, Image.List(string.Empty, out var entries));
        Assert.Equal(SampleTree.RootListing, entries.Select(e => e.Name));
        Assert.Equal(
            [NodeKind.File, NodeKind.Directory, NodeKind.File, NodeKind.Directory, NodeKind.File, NodeKind.File, NodeKind.Directory],
            entries.Select(e => e.Kind));
    }

    [Fact]
    public void Listings_follow_code_point_order_not_utf16_order()
    {
        Assert.Equal(Errno.Success, Image.List("ünïcödé 日本", out var entries));

        // U+FF26 sorts before U+1F980 by code point, although its UTF-16 unit is above the crab's high surrogate.
        Assert.Equal(["\uFF26ullwidth", "🦀 crab.txt"], entries.Select(e => e.Name));
        Assert.True(string.CompareOrdinal("\uFF26ullwidth", "🦀 crab.txt") > 0);
    }

    [Fact]
    public void Nested_and_empty_directories_list_their_content()
    {
        Assert.Equal(Errno.Success, Image.List("a", out var a));
        Assert.Equal(["4095.bin", "4096.bin", "b"], a.Select(e => e.Name));
        Assert.Equal(Errno.Success, Image.List("a/b", out var b));
        Assert.Equal(["c"], b.Select(e => e.Name));
        Assert.Equal(Errno.Success, Image.List("a/b/c", out var c));
        Assert.Equal(["4097.bin"], c.Select(e => e.Name));
        Assert.Equal(Errno.Success, Image.List("empty-dir", out var empty));
        Assert.Empty(empty);
    }

    [Fact]
    public void Listings_are_stable_across_calls_and_mounts()
    {
        Assert.Equal(Errno.Success, Image.List(string.Empty, out var first));
        using var again = fixture.Packed.Mount();
        Assert.Equal(Errno.Success, again.List(string.Empty, out var second));
        Assert.Equal(first, second);
    }

    [Fact]
    public void Image_counts_match_the_tree()
    {
        Assert.Equal(fixture.Files.Count, Image.FileCount);
        Assert.Equal(SampleTree.Directories.Length, Image.DirectoryCount);
        Assert.Equal(fixture.Files.Count, fixture.Packed.Description.FileCount);
        Assert.Equal(SampleTree.Directories.Length, fixture.Packed.Description.DirectoryCount);
        Assert.Equal(fixture.Files.Values.Sum(f => (long)f.Length), fixture.Packed.Description.DataBytes);
        Assert.Equal(new FileInfo(fixture.Packed.Path).Length, fixture.Packed.Description.ImageBytes);
        Assert.Equal(fixture.Packed.Id, Image.ImageId.ToArray());
        Assert.Equal(fixture.Packed.Root, Image.Root.ToArray());
    }

    [Theory]
    [InlineData("missing", Errno.NoEnt)]
    [InlineData("a/missing", Errno.NoEnt)]
    [InlineData("a/b/c/4097.bin/x", Errno.NotDir)]
    [InlineData("one.bin/x", Errno.NotDir)]
    [InlineData("a//b", Errno.NoEnt)]
    [InlineData("a/./b", Errno.NoEnt)]
    [InlineData("A", Errno.NoEnt)]
    public void Lookups_of_absent_paths_fail_with_the_right_errno(string path, Errno expected)
    {
        Assert.Equal(expected, Image.Stat(path, out _));
        Assert.Equal(expected, Image.List(path, out _));
        Assert.Equal(expected, Image.Open(path, OpenFlags.None, out var handle));
        Assert.Null(handle);
    }

    [Fact]
    public void Overlong_names_are_name_too_long_and_lone_surrogates_are_absent()
    {
        Assert.Equal(Errno.NameTooLong, Image.Stat(new string('x', 256), out _));
        Assert.Equal(Errno.NameTooLong, Image.Stat("a/" + new string('é', 128), out _));
        Assert.Equal(Errno.NoEnt, Image.Stat("\uD83E", out _));
    }

    [Fact]
    public void Listing_a_file_is_not_a_directory_and_opening_a_directory_is_is_a_directory()
    {
        Assert.Equal(Errno.NotDir, Image.List("one.bin", out _));
        Assert.Equal(Errno.IsDir, Image.Open("a", OpenFlags.None, out var handle));
        Assert.Null(handle);
        Assert.Equal(Errno.IsDir, Image.Open(string.Empty, OpenFlags.None, out _));
    }

    [Fact]
    public void Every_modifying_call_is_read_only_file_system()
    {
        Assert.True(Image.IsReadOnly);
        Assert.Equal(Errno.RoFs, Image.CreateDirectory("new"));
        Assert.Equal(Errno.RoFs, Image.CreateDirectory("a"));
        Assert.Equal(Errno.RoFs, Image.Unlink("one.bin"));
        Assert.Equal(Errno.RoFs, Image.RemoveDirectory("empty-dir"));
        Assert.Equal(Errno.RoFs, Image.Rename("one.bin", "two.bin"));
        Assert.Equal(Errno.RoFs, Image.Open("one.bin", OpenFlags.Write, out _));
        Assert.Equal(Errno.RoFs, Image.Open("one.bin", OpenFlags.Truncate, out _));
        Assert.Equal(Errno.RoFs, Image.Open("new.txt", OpenFlags.Create | OpenFlags.Write, out _));
        Assert.Equal(Errno.Exist, Image.Open("one.bin", OpenFlags.Create | OpenFlags.Exclusive, out _));
        Assert.Equal(Errno.Success, Image.Open("one.bin", OpenFlags.Create, out var created));
        created!.Dispose();

        Assert.Equal(Errno.Success, Image.Open("one.bin", OpenFlags.None, out var handle));
        using (handle)
        {
            Assert.Equal(Errno.RoFs, handle!.Write(0, [1, 2, 3]));
            Assert.Equal(Errno.RoFs, handle.SetLength(0));
            Assert.Equal(1, handle.Length);
        }

        Assert.Equal(fixture.Files["one.bin"], ReadAll(Image, "one.bin", 16));
    }

    [Fact]
    public void Handles_read_nothing_past_the_end_refuse_negative_offsets_and_fail_after_dispose()
    {
        Assert.Equal(Errno.Success, Image.Open("a/b/c/4097.bin", OpenFlags.None, out var handle));
        var buffer = new byte[100];
        Assert.Equal(Errno.Success, handle!.Read(4097, buffer, out var read));
        Assert.Equal(0, read);
        Assert.Equal(Errno.Success, handle.Read(1_000_000, buffer, out read));
        Assert.Equal(0, read);
        Assert.Equal(Errno.Success, handle.Read(4090, buffer, out read));
        Assert.Equal(7, read);
        Assert.Equal(Errno.Inval, handle.Read(-1, buffer, out read));
        Assert.Equal(Errno.Success, handle.Read(0, Span<byte>.Empty, out read));
        Assert.Equal(0, read);
        handle.Dispose();
        Assert.Equal(Errno.BadF, handle.Read(0, buffer, out read));
        Assert.Equal(0, read);
    }

    [Fact]
    public void Empty_files_read_nothing()
    {
        Assert.Equal(Errno.Success, Image.Open("empty.txt", OpenFlags.None, out var handle));
        using (handle)
        {
            Assert.Equal(0, handle!.Length);
            Assert.Equal(Errno.Success, handle.Read(0, new byte[10], out var read));
            Assert.Equal(0, read);
        }
    }

    [Fact]
    public void Concurrent_readers_see_the_right_bytes()
    {
        var big = fixture.Files["big.bin"];
        Parallel.For(0, 8, worker =>
        {
            Assert.Equal(Errno.Success, Image.Open("big.bin", OpenFlags.None, out var handle));
            using (handle)
            {
                var random = new Random(worker);
                var buffer = new byte[20_000];
                for (var i = 0; i < 200; i++)
                {
                    var offset = random.Next(big.Length);
                    var length = random.Next(buffer.Length);
                    Assert.Equal(Errno.Success, handle!.Read(offset, buffer.AsSpan(0, length), out var read));
                    Assert.Equal(Math.Min(length, big.Length - offset), read);
                    Assert.True(big.AsSpan(offset, read).SequenceEqual(buffer.AsSpan(0, read)));
                }
            }
        });
    }

    internal static byte[] ReadAll(IFileSystem fs, string path, int chunk)
    {
        Assert.Equal(Errno.Success, fs.Open(path, OpenFlags.None, out var handle));
        using (handle)
        {
            var result = new MemoryStream();
            var buffer = new byte[chunk];
            long offset = 0;
            while (true)
            {
                Assert.Equal(Errno.Success, handle!.Read(offset, buffer, out var read));
                if (read == 0)
                {
                    break;
                }

                result.Write(buffer, 0, read);
                offset += read;
            }

            Assert.Equal(handle!.Length, result.Length);
            return result.ToArray();
        }
    }

    [Fact]
    public void A_derived_key_packs_and_mounts()
    {
        using var tree = new TempTree();
        tree.File("x", 100);
        using var master = MasterKey.Generate();
        var id = ImageKeys.NewImageId();
        var key = ImageKeys.Derive(master, id);
        var packed = PackedImage.Pack(tree.Source, tree.Output("x.img"), key, id);
        using var image = ShieldedImage.Mount(packed.Path, ImageKeys.Derive(master, id), packed.Root);
        Assert.Equal(1, image.FileCount);
    }
}
