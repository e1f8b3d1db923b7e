using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Carapace.Envelope.Format;
using Carapace.Envelope.Keys;

namespace Carapace.Envelope.Sealing;

/// <summary>
/// AES-256-GCM for the chunks of one envelope, STREAM-style. The message key is
/// HKDF-SHA256-Expand(PRK = edge key, info = label ‖ salt ‖ request id, 32 bytes): edge keys are uniformly random
/// 32-byte keys, so HKDF's extract step is skipped as RFC 5869 §3.3 allows, and the header's fresh random salt
/// makes every message key unique — no (key, nonce) pair repeats, even when a request is sealed again. The nonce
/// of chunk i is <c>0[7] ‖ i (u32 BE) ‖ final flag (1 byte)</c>; the associated data is the exact header.
/// </summary>
internal sealed class MessageCipher : IDisposable
{
    public const int NonceSize = 12;
    private const int CounterOffset = 7;
    private static readonly byte[] s_label = Encoding.ASCII.GetBytes("carapace envelope v1 message key");

    private readonly AesGcm _aes;
    private readonly EnvelopeHeader _header;

    public MessageCipher(EdgeKey key, EnvelopeHeader header)
    {
        Span<byte> info = stackalloc byte[s_label.Length + EnvelopeHeader.SaltSize + RequestId.Size];
        s_label.CopyTo(info);
        header.Salt.CopyTo(info[s_label.Length..]);
        header.Metadata.RequestId.WriteTo(info[(s_label.Length + EnvelopeHeader.SaltSize)..]);
        Span<byte> messageKey = stackalloc byte[32];
        try
        {
            HKDF.Expand(HashAlgorithmName.SHA256, key.Bytes, messageKey, info);
            _aes = new AesGcm(messageKey, ChunkLayout.TagSize);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(messageKey);
        }

        _header = header;
    }

    /// <summary>Encrypts <paramref name="plaintext"/> into <paramref name="destination"/> (ciphertext then the 16-byte tag).</summary>
    public void Seal(uint index, bool final, ReadOnlySpan<byte> plaintext, Span<byte> destination)
    {
        Span<byte> nonce = stackalloc byte[NonceSize];
        MakeNonce(index, final, nonce);
        _aes.Encrypt(nonce, plaintext, destination[..plaintext.Length], destination.Slice(plaintext.Length, ChunkLayout.TagSize), _header.Bytes);
    }

    /// <summary>
    /// Verifies and decrypts one chunk (ciphertext then tag) into <paramref name="plaintext"/>. Returns false, with
    /// <paramref name="plaintext"/> cleared, when the tag does not verify; nothing is released before that check.
    /// </summary>
    public bool TryOpen(uint index, bool final, ReadOnlySpan<byte> chunk, Span<byte> plaintext)
    {
        Span<byte> nonce = stackalloc byte[NonceSize];
        MakeNonce(index, final, nonce);
        var length = chunk.Length - ChunkLayout.TagSize;
        try
        {
            _aes.Decrypt(nonce, chunk[..length], chunk[length..], plaintext[..length], _header.Bytes);
            return true;
        }
        catch (AuthenticationTagMismatchException)
        {
            CryptographicOperations.ZeroMemory(plaintext[..length]);
            return false;
        }
    }

    public void Dispose() => _aes.Dispose();

    private static void MakeNonce(uint index, bool final, Span<byte> nonce)
    {
        nonce[..CounterOffset].Clear();
        BinaryPrimitives.WriteUInt32BigEndian(nonce[CounterOffset..], index);
        nonce[NonceSize - 1] = final ? (byte)1 : (byte)0;
    }
}
