using System.Security.Cryptography;

namespace Carapace.Functions.Images;

/// <summary>
/// Writes the blocks of an image in order to a seekable stream: each block's slot (ciphertext ‖ tag) in the block
/// area and its tag in the leaf table, in batches; feeds the Merkle tree as it goes; writes the header last.
/// </summary>
internal sealed class ImageWriter : IDisposable
{
    private const int BatchBlocks = 256;

    private readonly Stream _output;
    private readonly long _start;
    private readonly long _blockCount;
    private readonly byte[] _imageId;
    private readonly byte[] _salt;
    private readonly BlockCipher _cipher;
    private readonly AesGcm _aes;
    private readonly MerkleRootBuilder _merkle = new();
    private readonly byte[] _slots = new byte[BatchBlocks * ImageLayout.SlotSize];
    private readonly byte[] _tags = new byte[BatchBlocks * ImageLayout.LeafSize];
    private int _pending;
    private long _written;

    /// <summary>Starts an image of <paramref name="blockCount"/> blocks at the current position of <paramref name="output"/>.</summary>
    public ImageWriter(Stream output, long blockCount, ReadOnlySpan<byte> imageId, ReadOnlySpan<byte> imageKey)
    {
        _output = output;
        _start = output.Position;
        _blockCount = blockCount;
        _imageId = imageId.ToArray();
        _salt = RandomNumberGenerator.GetBytes(ImageLayout.SaltSize);
        _cipher = BlockCipher.Create(imageKey, _imageId, _salt);
        _aes = _cipher.Rent();

        // Reserve the header; the leaf table fills in as blocks are written.
        output.Write(new byte[ImageLayout.HeaderLength]);
    }

    /// <summary>Blocks written so far.</summary>
    public long BlocksWritten => _written + _pending;

    /// <summary>Encrypts and appends block <paramref name="block"/> of file <paramref name="fileId"/> (4096 plaintext bytes).</summary>
    public void Write(uint fileId, ulong block, ReadOnlySpan<byte> plaintext)
    {
        if (BlocksWritten >= _blockCount)
        {
            throw new InvalidOperationException("more blocks than the image was laid out for");
        }

        var slot = _slots.AsSpan(_pending * ImageLayout.SlotSize, ImageLayout.SlotSize);
        var tag = slot[ImageLayout.BlockSize..];
        _cipher.Encrypt(_aes, fileId, block, plaintext, slot, tag);
        tag.CopyTo(_tags.AsSpan(_pending * ImageLayout.LeafSize));
        _merkle.Add(fileId, block, tag);
        if (++_pending == BatchBlocks)
        {
            Flush();
        }
    }

    /// <summary>Writes the last batch and the header; returns the root and leaves the stream at the image's end.</summary>
    public byte[] Finish()
    {
        Flush();
        if (_written != _blockCount)
        {
            throw new InvalidOperationException("fewer blocks than the image was laid out for");
        }

        Span<byte> top = stackalloc byte[MerkleTree.HashSize];
        _merkle.Top(top);
        var root = new byte[ImageLayout.RootSize];
        MerkleTree.ImageRoot(_imageId, _salt, _blockCount, top, root);
        var header = new byte[ImageLayout.HeaderLength];
        ImageHeader.Write(header, _imageId, _salt, _blockCount, root);
        _output.Position = _start;
        _output.Write(header);
        _output.Position = _start + ImageLayout.ImageBytes(_blockCount);
        _output.Flush();
        return root;
    }

    /// <summary>Returns the cipher instance and zeroes the key.</summary>
    public void Dispose()
    {
        _cipher.Return(_aes);
        _cipher.Dispose();
    }

    private void Flush()
    {
        if (_pending == 0)
        {
            return;
        }

        _output.Position = _start + ImageLayout.SlotOffset(_blockCount, _written);
        _output.Write(_slots, 0, _pending * ImageLayout.SlotSize);
        _output.Position = _start + ImageLayout.LeafTableOffset + (_written * ImageLayout.LeafSize);
        _output.Write(_tags, 0, _pending * ImageLayout.LeafSize);
        _written += _pending;
        _pending = 0;
    }
}
