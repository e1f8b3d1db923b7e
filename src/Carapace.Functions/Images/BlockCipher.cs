using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Carapace.Functions.Images;

/// <summary>
/// AES-256-GCM over the blocks of one image. The block key is HKDF-SHA256-Expand(image key,
/// "carapace image block key v1" ‖ image id ‖ key salt); block (file id, index) uses the nonce u32 file id ‖
/// u64 index and the associated data image id ‖ u32 file id ‖ u64 index. Safe for concurrent use: it keeps a small
/// pool of <see cref="AesGcm"/> instances, one per concurrent caller. Dispose it to zero the key.
/// </summary>
internal sealed class BlockCipher : IDisposable
{
    private static readonly byte[] s_label = Encoding.ASCII.GetBytes("carapace image block key v1");

    private readonly byte[] _key;
    private readonly byte[] _imageId;
    private readonly Stack<AesGcm> _pool = new();
    private readonly int _poolLimit = Math.Max(2, Environment.ProcessorCount);
    private bool _disposed;

    private BlockCipher(byte[] key, byte[] imageId)
    {
        _key = key;
        _imageId = imageId;
    }

    /// <summary>Derives the block key of the image with id <paramref name="imageId"/> and salt <paramref name="salt"/>.</summary>
    public static BlockCipher Create(ReadOnlySpan<byte> imageKey, ReadOnlySpan<byte> imageId, ReadOnlySpan<byte> salt)
    {
        if (imageKey.Length != ImageLayout.KeySize)
        {
            throw new ArgumentException($"an image key is {ImageLayout.KeySize} bytes, not {imageKey.Length}", nameof(imageKey));
        }

        Span<byte> info = stackalloc byte[s_label.Length + ImageLayout.IdSize + ImageLayout.SaltSize];
        s_label.CopyTo(info);
        imageId[..ImageLayout.IdSize].CopyTo(info[s_label.Length..]);
        salt[..ImageLayout.SaltSize].CopyTo(info[(s_label.Length + ImageLayout.IdSize)..]);
        var key = new byte[ImageLayout.KeySize];
        HKDF.Expand(HashAlgorithmName.SHA256, imageKey, key, info);
        return new BlockCipher(key, imageId[..ImageLayout.IdSize].ToArray());
    }

    /// <summary>Encrypts one 4096-byte plaintext block into its ciphertext and tag.</summary>
    public void Encrypt(uint fileId, ulong block, ReadOnlySpan<byte> plaintext, Span<byte> ciphertext, Span<byte> tag)
    {
        var aes = Rent();
        try
        {
            Encrypt(aes, fileId, block, plaintext, ciphertext, tag);
        }
        finally
        {
            Return(aes);
        }
    }

    /// <summary>
    /// Verifies and decrypts one block; false (with <paramref name="plaintext"/> cleared) when the tag does not
    /// verify.
    /// </summary>
    public bool TryDecrypt(uint fileId, ulong block, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> tag, Span<byte> plaintext)
    {
        var aes = Rent();
        try
        {
            return TryDecrypt(aes, fileId, block, ciphertext, tag, plaintext);
        }
        finally
        {
            Return(aes);
        }
    }

    /// <summary>Takes an AES-GCM instance for a run of operations; give it back with <see cref="Return"/>.</summary>
    public AesGcm Rent()
    {
        lock (_pool)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_pool.TryPop(out var aes))
            {
                return aes;
            }

            return new AesGcm(_key, ImageLayout.TagSize);
        }
    }

    /// <summary>Gives back an instance taken with <see cref="Rent"/>.</summary>
    public void Return(AesGcm aes)
    {
        lock (_pool)
        {
            if (!_disposed && _pool.Count < _poolLimit)
            {
                _pool.Push(aes);
                return;
            }
        }

        aes.Dispose();
    }

    /// <summary>Encrypts with a rented instance.</summary>
    public void Encrypt(AesGcm aes, uint fileId, ulong block, ReadOnlySpan<byte> plaintext, Span<byte> ciphertext, Span<byte> tag)
    {
        Span<byte> nonce = stackalloc byte[ImageLayout.NonceSize];
        Span<byte> data = stackalloc byte[ImageLayout.AssociatedDataSize];
        ImageLayout.WriteNonce(nonce, fileId, block);
        ImageLayout.WriteAssociatedData(data, _imageId, fileId, block);
        aes.Encrypt(nonce, plaintext[..ImageLayout.BlockSize], ciphertext[..ImageLayout.BlockSize], tag[..ImageLayout.TagSize], data);
    }

    /// <summary>Verifies and decrypts with a rented instance.</summary>
    public bool TryDecrypt(AesGcm aes, uint fileId, ulong block, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> tag, Span<byte> plaintext)
    {
        Span<byte> nonce = stackalloc byte[ImageLayout.NonceSize];
        Span<byte> data = stackalloc byte[ImageLayout.AssociatedDataSize];
        ImageLayout.WriteNonce(nonce, fileId, block);
        ImageLayout.WriteAssociatedData(data, _imageId, fileId, block);
        try
        {
            aes.Decrypt(nonce, ciphertext[..ImageLayout.BlockSize], tag[..ImageLayout.TagSize], plaintext[..ImageLayout.BlockSize], data);
            return true;
        }
        catch (AuthenticationTagMismatchException)
        {
            // AesGcm has already cleared the plaintext.
            return false;
        }
    }

    /// <summary>
    /// Verifies and decrypts <paramref name="count"/> consecutive blocks of one file, from <paramref name="firstBlock"/>,
    /// whose slots (ciphertext ‖ tag) are consecutive in <paramref name="slots"/>, into consecutive 4096-byte
    /// blocks of <paramref name="plaintext"/>. Returns -1, or the index within the run of the first block that failed:
    /// no byte of it is released, and the blocks before it are verified. A reader first checks each slot's tag against
    /// the image's verified leaf table (the enclave's reader does) and passes only the run of blocks that matched.
    /// </summary>
    public int TryDecryptRun(AesGcm aes, uint fileId, ulong firstBlock, ReadOnlySpan<byte> slots, int count, Span<byte> plaintext)
    {
        Span<byte> nonce = stackalloc byte[ImageLayout.NonceSize];
        Span<byte> data = stackalloc byte[ImageLayout.AssociatedDataSize];
        ImageLayout.WriteNonce(nonce, fileId, firstBlock);
        ImageLayout.WriteAssociatedData(data, _imageId, fileId, firstBlock);
        for (var i = 0; i < count; i++)
        {
            var slot = slots.Slice(i * ImageLayout.SlotSize, ImageLayout.SlotSize);
            var tag = slot[ImageLayout.BlockSize..];
            var output = plaintext.Slice(i * ImageLayout.BlockSize, ImageLayout.BlockSize);
            if (i > 0)
            {
                // Only the block index changes along a run: the last 8 bytes of the nonce and of the associated data.
                BinaryPrimitives.WriteUInt64BigEndian(nonce[4..], firstBlock + (ulong)i);
                BinaryPrimitives.WriteUInt64BigEndian(data[(ImageLayout.IdSize + 4)..], firstBlock + (ulong)i);
            }

            try
            {
                aes.Decrypt(nonce, slot[..ImageLayout.BlockSize], tag, output, data);
            }
            catch (AuthenticationTagMismatchException)
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>Zeroes the key and disposes the pooled instances.</summary>
    public void Dispose()
    {
        lock (_pool)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            while (_pool.TryPop(out var aes))
            {
                aes.Dispose();
            }

            CryptographicOperations.ZeroMemory(_key);
        }
    }
}
