using Carapace.Enclave.FileSystem;
using Carapace.Enclave.FileSystem.Image;
using Carapace.Enclave.Wasi;

namespace Carapace.Enclave.Tests.FileSystem.Image;

/// <summary>
/// The cache of verified blocks keeps integrity exactly: it is filled only from blocks that verified, so a tampered
/// block is refused on every read (and never cached), a cached block returns the bytes that verified even if the host
/// changes the image afterwards, and a block evicted from the cache is verified again when it is read next.
/// </summary>
public sealed class ImageCacheTests : IDisposable
{
    private const int Blocks = 8;

    private readonly TempTree _tree = new();
    private readonly byte[] _content;
    private readonly PackedImage _image;

    public ImageCacheTests()
    {
        _content = _tree.File("data.bin", Blocks * 4096, seed: 7);
        _image = PackedImage.Pack(_tree.Source, _tree.Output("image.img"));
    }

    public void Dispose() => _tree.Dispose();

    [Fact]
    public void A_tampered_block_is_refused_on_every_read_and_its_neighbours_still_read()
    {
        using var image = ShieldedImage.Mount(_image.Path, _image.Key, _image.Root, cacheBlocks: 64);
        var first = FirstSlot(image);
        _image.Flip(ImageLayoutOffsets.Slot(BlockCount(), first + 3) + 10);

        for (var attempt = 0; attempt < 3; attempt++)
        {
            // Whole-file reads (runs of blocks), single blocks and part of the block: all refused, nothing released.
            var whole = new byte[Blocks * 4096];
            Assert.Throws<IntegrityViolationException>(() => Read(image, 0, whole));
            Assert.True(whole.AsSpan(3 * 4096).IndexOfAnyExcept((byte)0) < 0, "no byte of the tampered block or after it is released");
            Assert.Throws<IntegrityViolationException>(() => Read(image, 3 * 4096, new byte[4096]));
            Assert.Throws<IntegrityViolationException>(() => Read(image, (3 * 4096) + 5, new byte[7]));
        }

        AssertReads(image, 0, 3 * 4096);
        AssertReads(image, 4 * 4096, 4 * 4096);
    }

    [Fact]
    public void A_cached_block_returns_the_verified_bytes_after_the_host_changes_the_image()
    {
        using var image = ShieldedImage.Mount(_image.Path, _image.Key, _image.Root, cacheBlocks: 64);
        var first = FirstSlot(image);
        AssertReads(image, 0, Blocks * 4096);

        // The host now replaces every data block's ciphertext: the cached plaintext (verified before) is what is read.
        for (var block = 0; block < Blocks; block++)
        {
            _image.Flip(ImageLayoutOffsets.Slot(BlockCount(), first + block) + 100);
        }

        AssertReads(image, 0, Blocks * 4096);
        AssertReads(image, 4096 + 17, 3000);

        // A fresh mount has an empty cache and sees the change.
        using var fresh = ShieldedImage.Mount(_image.Path, _image.Key, _image.Root, cacheBlocks: 64);
        Assert.Throws<IntegrityViolationException>(() => Read(fresh, 0, new byte[4096]));
    }

    [Fact]
    public void A_block_evicted_from_the_cache_is_verified_again()
    {
        using var image = ShieldedImage.Mount(_image.Path, _image.Key, _image.Root, cacheBlocks: 2);
        var first = FirstSlot(image);
        AssertReads(image, 0, 4096);
        _image.Flip(ImageLayoutOffsets.Slot(BlockCount(), first) + 200);
        AssertReads(image, 0, 4096); // still cached

        // Reading three other blocks through a two-block cache evicts block 0.
        AssertReads(image, 4096, 3 * 4096);
        Assert.Throws<IntegrityViolationException>(() => Read(image, 0, new byte[4096]));
    }

    [Fact]
    public void Clearing_the_cache_drops_every_block_so_the_next_read_is_verified_again()
    {
        // What the enclave does after reading sealed code from the image: no block of it stays in memory.
        using var image = ShieldedImage.Mount(_image.Path, _image.Key, _image.Root, cacheBlocks: 64);
        var first = FirstSlot(image);
        AssertReads(image, 0, Blocks * 4096);
        _image.Flip(ImageLayoutOffsets.Slot(BlockCount(), first + 1) + 3);

        image.ClearCache();

        AssertReads(image, 0, 4096);
        Assert.Throws<IntegrityViolationException>(() => Read(image, 4096, new byte[4096]));
    }

    [Fact]
    public void Without_a_cache_every_read_is_verified()
    {
        using var image = ShieldedImage.Mount(_image.Path, _image.Key, _image.Root, cacheBlocks: 0);
        var first = FirstSlot(image);
        AssertReads(image, 0, Blocks * 4096);
        _image.Flip(ImageLayoutOffsets.Slot(BlockCount(), first + Blocks - 1) + 1);
        Assert.Throws<IntegrityViolationException>(() => Read(image, (Blocks - 1) * 4096, new byte[4096]));
        Assert.Throws<IntegrityViolationException>(() => Read(image, (Blocks - 1) * 4096, new byte[3]));
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(ShieldedImage.MaxCacheBlocks + 1)]
    public void A_cache_size_out_of_range_is_an_argument_error(int blocks) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => ShieldedImage.Mount(_image.Path, _image.Key, _image.Root, blocks).Dispose());

    [Theory]
    [InlineData(0, ShieldedImage.DefaultCacheBlocks)]
    [InlineData(16L << 20, 4096)]
    [InlineData(1L << 30, ShieldedImage.MaxCacheBlocks)]
    public void The_cache_holds_as_many_blocks_as_the_functions_tmp_size(long tmpBytes, int blocks) =>
        Assert.Equal(blocks, ShieldedImage.CacheBlocksFor(tmpBytes));

    private static void Read(ShieldedImage image, long offset, byte[] buffer)
    {
        Assert.Equal(Errno.Success, image.Open("data.bin", OpenFlags.None, out var handle));
        using (handle)
        {
            Assert.Equal(Errno.Success, handle!.Read(offset, buffer, out var read));
            Assert.Equal(buffer.Length, read);
        }
    }

    private static long FirstSlot(ShieldedImage image)
    {
        Assert.True(image.TryGetLayout("data.bin", out _, out var first));
        return first;
    }

    private long BlockCount() => (new FileInfo(_image.Path).Length - 96) / (16 + ImageLayoutOffsets.SlotSize);

    private void AssertReads(ShieldedImage image, long offset, int length)
    {
        var buffer = new byte[length];
        Read(image, offset, buffer);
        Assert.True(_content.AsSpan((int)offset, length).SequenceEqual(buffer), $"bytes {offset}..{offset + length}");
    }
}
