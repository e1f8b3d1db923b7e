using System.Security.Cryptography;
using Carapace.Enclave.FileSystem;
using Carapace.Enclave.FileSystem.Image;
using Carapace.Enclave.Wasi;
using Carapace.Functions.Images;

namespace Carapace.Enclave.Tests.FileSystem.Image;

/// <summary>
/// Every change to an image is detected: at mount (header, metadata, leaf table, a rolled-back image) or at the
/// latest when the affected block is read (data ciphertext and tags, swapped or foreign blocks).
/// </summary>
public sealed class ImageTamperTests : IDisposable
{
    private readonly TempTree _tree = new();
    private readonly Dictionary<string, byte[]> _files;
    private readonly PackedImage _image;
    private readonly long _blocks;

    public ImageTamperTests()
    {
        _files = SampleTree.Create(_tree, big: false);
        _files["medium.bin"] = _tree.File("medium.bin", (5 * 4096) + 17, seed: 10);
        _image = PackedImage.Pack(_tree.Source, _tree.Output("image.img"));
        _blocks = ImageHeaderOf(_image).BlockCount;
    }

    public void Dispose() => _tree.Dispose();

    [Fact]
    public void The_untouched_image_mounts_and_reads()
    {
        using var image = _image.Mount();
        foreach (var (path, content) in _files)
        {
            Assert.Equal(content, ImageRoundTripTests.ReadAll(image, path, 5000));
        }
    }

    [Fact]
    public void Flipping_any_header_byte_fails_the_mount()
    {
        for (var offset = 0; offset < ImageHeader.Length; offset++)
        {
            foreach (var mask in new byte[] { 0x01, 0x80 })
            {
                _image.Flip(offset, mask);
                var error = Record.Exception(() => _image.Mount().Dispose());
                Assert.True(
                    error is ImageFormatException or IntegrityViolationException,
                    $"header byte {offset}: {error?.GetType().Name ?? "mounted"}");
                _image.Flip(offset, mask);
            }
        }

        _image.Mount().Dispose();
    }

    [Fact]
    public void Flipping_any_leaf_table_entry_fails_the_mount()
    {
        for (var slot = 0L; slot < _blocks; slot++)
        {
            var offset = ImageLayoutOffsets.Leaf(slot) + (slot % 16);
            _image.Flip(offset);
            Assert.Throws<IntegrityViolationException>(() => _image.Mount().Dispose());
            _image.Flip(offset);
        }

        _image.Mount().Dispose();
    }

    [Fact]
    public void Flipping_a_byte_of_any_block_ciphertext_or_tag_fails_the_mount_or_that_blocks_read()
    {
        var owners = SlotOwners();
        for (var slot = 0L; slot < _blocks; slot++)
        {
            var ciphertextByte = ImageLayoutOffsets.Slot(_blocks, slot) + ((slot * 131) % 4096);
            var tagByte = ImageLayoutOffsets.Slot(_blocks, slot) + 4096 + (slot % 16);
            foreach (var offset in new[] { ciphertextByte, tagByte })
            {
                _image.Flip(offset);
                if (!owners.TryGetValue(slot, out var owner))
                {
                    // A metadata block: the whole image is unusable.
                    var error = Assert.Throws<IntegrityViolationException>(() => _image.Mount().Dispose());
                    Assert.Contains($"metadata block {slot}", error.Message, StringComparison.Ordinal);
                }
                else
                {
                    using var image = _image.Mount();
                    AssertBlockFails(image, owner.Path, owner.FileId, owner.Block);
                    AssertOtherDataReads(image, owner.Path, owner.Block);
                }

                _image.Flip(offset);
            }
        }
    }

    [Fact]
    public void A_block_changed_after_the_mount_fails_its_read()
    {
        using var image = _image.Mount();
        Assert.True(image.TryGetLayout("medium.bin", out var fileId, out var first));
        _image.Flip(ImageLayoutOffsets.Slot(_blocks, first + 2) + 100);
        AssertBlockFails(image, "medium.bin", fileId, 2);
        Assert.Equal(_files["a/4096.bin"], ImageRoundTripTests.ReadAll(image, "a/4096.bin", 4096));
    }

    [Fact]
    public void Swapping_two_blocks_of_one_file_is_detected()
    {
        var (fileId, first) = Layout("medium.bin");
        SwapSlots(first + 1, first + 2);
        using (var image = _image.Mount())
        {
            AssertBlockFails(image, "medium.bin", fileId, 1);
            AssertBlockFails(image, "medium.bin", fileId, 2);
            AssertReads(image, "medium.bin", 0, 4096);
            AssertReads(image, "medium.bin", 3 * 4096, 4096);
        }

        // Swapping their leaf-table entries too only moves the failure to the mount.
        SwapLeaves(first + 1, first + 2);
        Assert.Throws<IntegrityViolationException>(() => _image.Mount().Dispose());
    }

    [Fact]
    public void Swapping_blocks_between_files_is_detected()
    {
        var (mediumId, mediumFirst) = Layout("medium.bin");
        var (otherId, otherFirst) = Layout("a/4096.bin");
        SwapSlots(mediumFirst, otherFirst);
        using (var image = _image.Mount())
        {
            AssertBlockFails(image, "medium.bin", mediumId, 0);
            AssertBlockFails(image, "a/4096.bin", otherId, 0);
            AssertReads(image, "medium.bin", 4096, 8192);
        }

        SwapLeaves(mediumFirst, otherFirst);
        Assert.Throws<IntegrityViolationException>(() => _image.Mount().Dispose());
    }

    [Fact]
    public void A_block_from_another_image_of_the_same_tree_is_detected()
    {
        // Same tree, same key, even the same image id: every image gets its own key salt.
        var other = PackedImage.Pack(_tree.Source, _tree.Output("other.img"), _image.Key, _image.Id);
        Assert.Equal(_image.Description.ImageBytes, other.Description.ImageBytes);
        var (fileId, first) = Layout("medium.bin");
        var slot = ImageLayoutOffsets.Slot(_blocks, first + 3);
        _image.WriteBytes(slot, other.ReadBytes(slot, ImageLayoutOffsets.SlotSize));
        using (var image = _image.Mount())
        {
            AssertBlockFails(image, "medium.bin", fileId, 3);
            AssertReads(image, "medium.bin", 0, 3 * 4096);
        }

        // With its leaf as well, the mount fails.
        var leaf = ImageLayoutOffsets.Leaf(first + 3);
        _image.WriteBytes(leaf, other.ReadBytes(leaf, 16));
        Assert.Throws<IntegrityViolationException>(() => _image.Mount().Dispose());
    }

    [Fact]
    public void A_metadata_block_from_another_image_of_the_same_tree_fails_the_mount()
    {
        var other = PackedImage.Pack(_tree.Source, _tree.Output("other.img"), _image.Key, _image.Id);
        var slot = ImageLayoutOffsets.Slot(_blocks, 0);
        _image.WriteBytes(slot, other.ReadBytes(slot, ImageLayoutOffsets.SlotSize));
        _image.WriteBytes(ImageLayoutOffsets.Leaf(0), other.ReadBytes(ImageLayoutOffsets.Leaf(0), 16));
        Assert.Throws<IntegrityViolationException>(() => _image.Mount().Dispose());
    }

    [Fact]
    public void An_older_image_of_the_same_tree_is_refused()
    {
        var newer = PackedImage.Pack(_tree.Source, _tree.Output("newer.img"), _image.Key, _image.Id);
        Assert.NotEqual(_image.Root, newer.Root);

        // The host serves the old image where the new one is expected.
        var error = Assert.Throws<IntegrityViolationException>(() => ShieldedImage.Mount(_image.Path, newer.Key, newer.Root).Dispose());
        Assert.Equal("image root does not match the measured root: wrong or rolled-back image", error.Message);

        // ... even with the new root copied into the old header.
        _image.WriteBytes(64, newer.Root);
        error = Assert.Throws<IntegrityViolationException>(() => ShieldedImage.Mount(_image.Path, newer.Key, newer.Root).Dispose());
        Assert.Equal("image root does not match the measured root: wrong or rolled-back image", error.Message);
    }

    [Fact]
    public void An_older_image_of_a_changed_tree_is_refused()
    {
        _tree.File("medium.bin", 100, seed: 99);
        var newer = PackedImage.Pack(_tree.Source, _tree.Output("newer.img"), _image.Key, ImageKeys.NewImageId());
        Assert.Throws<IntegrityViolationException>(() => ShieldedImage.Mount(_image.Path, newer.Key, newer.Root).Dispose());
        using var image = newer.Mount();
        Assert.Equal(Errno.Success, image.Stat("medium.bin", out var info));
        Assert.Equal(100, info.Size);
    }

    [Fact]
    public void The_wrong_key_is_an_integrity_failure()
    {
        var error = Assert.Throws<IntegrityViolationException>(
            () => ShieldedImage.Mount(_image.Path, RandomNumberGenerator.GetBytes(32), _image.Root).Dispose());
        Assert.Contains("metadata block 0", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_wrong_expected_root_is_an_integrity_failure()
    {
        var root = _image.Root;
        root[31] ^= 1;
        var error = Assert.Throws<IntegrityViolationException>(() => ShieldedImage.Mount(_image.Path, _image.Key, root).Dispose());
        Assert.Equal("image root does not match the measured root: wrong or rolled-back image", error.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(50)]
    [InlineData(96)]
    [InlineData(100)]
    [InlineData(-4112)]
    [InlineData(-1)]
    public void A_truncated_image_is_refused_clearly(long length)
    {
        var full = new FileInfo(_image.Path).Length;
        using (var file = new FileStream(_image.Path, FileMode.Open, FileAccess.Write))
        {
            file.SetLength(length >= 0 ? length : full + length);
        }

        var error = Assert.Throws<ImageFormatException>(() => _image.Mount().Dispose());
        Assert.Equal(ImageFormatErrorKind.Truncated, error.Kind);
        Assert.StartsWith("image is truncated", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bytes_after_the_image_are_refused()
    {
        using (var file = new FileStream(_image.Path, FileMode.Append, FileAccess.Write))
        {
            file.WriteByte(0);
        }

        Assert.Equal(ImageFormatErrorKind.Malformed, Assert.Throws<ImageFormatException>(() => _image.Mount().Dispose()).Kind);
    }

    [Fact]
    public void An_image_truncated_while_mounted_fails_reads_with_an_integrity_violation()
    {
        using var image = _image.Mount();
        Assert.True(image.TryGetLayout("medium.bin", out _, out var first));
        using (var file = new FileStream(_image.Path, FileMode.Open, FileAccess.Write))
        {
            file.SetLength(ImageLayoutOffsets.Slot(_blocks, first + 2) + 100);
        }

        Assert.Equal(Errno.Success, image.Open("medium.bin", OpenFlags.None, out var handle));
        using (handle)
        {
            Assert.Throws<IntegrityViolationException>(() => handle!.Read(0, new byte[30_000], out _));
        }
    }

    [Fact]
    public void Handles_of_a_disposed_image_are_bad_descriptors()
    {
        var image = _image.Mount();
        Assert.Equal(Errno.Success, image.Open("medium.bin", OpenFlags.None, out var handle));
        image.Dispose();
        Assert.Equal(Errno.BadF, handle!.Read(0, new byte[10], out var read));
        Assert.Equal(0, read);
        Assert.Throws<ObjectDisposedException>(() => image.Stat("medium.bin", out _));
    }

    [Fact]
    public void A_file_that_is_not_an_image_is_bad_magic()
    {
        var path = _tree.Output("random.img");
        File.WriteAllBytes(path, RandomNumberGenerator.GetBytes(10_000));
        var error = Assert.Throws<ImageFormatException>(() => ShieldedImage.Mount(path, _image.Key, _image.Root).Dispose());
        Assert.Equal(ImageFormatErrorKind.BadMagic, error.Kind);
    }

    [Fact]
    public void Keys_and_roots_of_the_wrong_length_are_argument_errors()
    {
        Assert.Throws<ArgumentException>(() => ShieldedImage.Mount(_image.Path, new byte[16], _image.Root));
        Assert.Throws<ArgumentException>(() => ShieldedImage.Mount(_image.Path, _image.Key, new byte[31]));
    }

    [Fact]
    public void Integrity_messages_contain_no_plaintext_or_key()
    {
        var (fileId, first) = Layout("a/b/c/4097.bin");
        _image.Flip(ImageLayoutOffsets.Slot(_blocks, first));
        using var image = _image.Mount();
        var error = AssertBlockFails(image, "a/b/c/4097.bin", fileId, 0);
        Assert.DoesNotContain("4097.bin", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToHexString(_image.Key), error.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Equal($"image block 0 of file {fileId} failed verification: it was modified, moved or replaced", error.Message);
    }

    private static ImageHeader ImageHeaderOf(PackedImage image)
    {
        using var stream = File.OpenRead(image.Path);
        return ImageHeader.Read(stream);
    }

    private static IntegrityViolationException AssertBlockFails(ShieldedImage image, string path, uint fileId, long block)
    {
        Assert.Equal(Errno.Success, image.Open(path, OpenFlags.None, out var handle));
        using (handle)
        {
            // Both the direct (whole block) and the cached (partial block) read paths check.
            var whole = new byte[4096];
            var error = Assert.Throws<IntegrityViolationException>(() => handle!.Read(block * 4096, whole, out _));
            Assert.True(whole.AsSpan().IndexOfAnyExcept((byte)0) < 0, "no unverified byte is released");
            Assert.Throws<IntegrityViolationException>(() => handle!.Read(block * 4096, new byte[1], out _));
            Assert.Contains($"block {block} of file {fileId}", error.Message, StringComparison.Ordinal);
            return error;
        }
    }

    private void AssertReads(ShieldedImage image, string path, long offset, int length)
    {
        Assert.Equal(Errno.Success, image.Open(path, OpenFlags.None, out var handle));
        using (handle)
        {
            var buffer = new byte[length];
            Assert.Equal(Errno.Success, handle!.Read(offset, buffer, out var read));
            Assert.True(_files[path].AsSpan((int)offset, read).SequenceEqual(buffer.AsSpan(0, read)));
        }
    }

    private void AssertOtherDataReads(ShieldedImage image, string path, long block)
    {
        var other = path == "Zebra" ? "one.bin" : "Zebra";
        Assert.Equal(_files[other], ImageRoundTripTests.ReadAll(image, other, 4096));
        var length = _files[path].Length;
        if (block > 0)
        {
            AssertReads(image, path, 0, 4096);
        }

        if ((block + 1) * 4096 < length)
        {
            AssertReads(image, path, (block + 1) * 4096, 4096);
        }
    }

    private (uint FileId, long FirstSlot) Layout(string path)
    {
        using var image = _image.Mount();
        Assert.True(image.TryGetLayout(path, out var fileId, out var first));
        return (fileId, first);
    }

    private Dictionary<long, (string Path, uint FileId, long Block)> SlotOwners()
    {
        using var image = _image.Mount();
        var owners = new Dictionary<long, (string, uint, long)>();
        foreach (var (path, content) in _files)
        {
            Assert.True(image.TryGetLayout(path, out var fileId, out var first));
            for (var block = 0L; block * 4096 < content.Length; block++)
            {
                owners.Add(first + block, (path, fileId, block));
            }
        }

        Assert.Equal(_blocks - image.MetadataBlockCount, owners.Count);
        return owners;
    }

    private void SwapSlots(long a, long b)
    {
        var first = _image.ReadBytes(ImageLayoutOffsets.Slot(_blocks, a), ImageLayoutOffsets.SlotSize);
        var second = _image.ReadBytes(ImageLayoutOffsets.Slot(_blocks, b), ImageLayoutOffsets.SlotSize);
        _image.WriteBytes(ImageLayoutOffsets.Slot(_blocks, a), second);
        _image.WriteBytes(ImageLayoutOffsets.Slot(_blocks, b), first);
    }

    private void SwapLeaves(long a, long b)
    {
        var first = _image.ReadBytes(ImageLayoutOffsets.Leaf(a), 16);
        var second = _image.ReadBytes(ImageLayoutOffsets.Leaf(b), 16);
        _image.WriteBytes(ImageLayoutOffsets.Leaf(a), second);
        _image.WriteBytes(ImageLayoutOffsets.Leaf(b), first);
    }
}
