using System.Buffers.Binary;
using Carapace.Enclave.FileSystem;
using Carapace.Enclave.FileSystem.Image;

namespace Carapace.Fuzz.Targets;

/// <summary>Shielded file-system images: the header is read without a key (gateway, worker, enclave), the metadata after decryption in the enclave.</summary>
internal static class ImageTargets
{
    /// <summary>Most blocks the fuzzed image has beyond the blocks its metadata fills.</summary>
    private const long MaxDataBlocks = 4096;

    public static IEnumerable<FuzzTarget> All()
    {
        yield return new FuzzTarget(
            "image-header",
            "ImageHeader.Read: magic, version, block size, id, salt, root, block count and offsets, and the length check",
            input =>
            {
                using var stream = new MemoryStream(input, writable: false);
                ImageHeader.Read(stream);
            },
            [typeof(ImageFormatException)]);
        yield return new FuzzTarget(
            "image-metadata",
            "ImageMetadata.ReadLength and Decode: u64 block count ‖ the decrypted metadata (preamble and node records), zero-padded to the blocks its length needs",
            DecodeMetadata,
            [typeof(IntegrityViolationException)]);
    }

    /// <summary>
    /// As the enclave mounts an image: the length in block 0 says how many metadata blocks to read, then all of them are
    /// decoded against the image's block count. Input: <c>u64 BE block count ‖ metadata</c>, the metadata at least as
    /// long as it says (the rest of its last block is zero-padded). The block count is reduced to
    /// 1..(metadata blocks + <see cref="MaxDataBlocks"/>), the way a real image's file size bounds it.
    /// </summary>
    private static void DecodeMetadata(byte[] input)
    {
        if (input.Length < 8)
        {
            throw new IntegrityViolationException("fuzz input: shorter than its 8-byte block count");
        }

        var metadataBytes = input.AsSpan(8);
        var declared = BinaryPrimitives.ReadUInt64BigEndian(input);
        var blockCount = 1 + (long)(declared % (ulong)(ImageLayout.BlocksFor(metadataBytes.Length) + MaxDataBlocks));
        var first = new byte[ImageLayout.BlockSize];
        metadataBytes[..Math.Min(metadataBytes.Length, first.Length)].CopyTo(first);
        var length = ImageMetadata.ReadLength(first, blockCount);
        if (length > metadataBytes.Length)
        {
            // The metadata is the input: a real image holds every block its length names (as ciphertext to decrypt).
            throw new IntegrityViolationException("fuzz input: shorter than the metadata length it declares");
        }

        var blocks = ImageLayout.BlocksFor(length);
        var metadata = new byte[blocks * ImageLayout.BlockSize];
        metadataBytes[..(int)Math.Min(metadataBytes.Length, metadata.Length)].CopyTo(metadata);
        ImageMetadata.Decode(metadata, blocks, blockCount, out _);
    }
}
