using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Carapace.Envelope.Format;
using Carapace.Envelope.Keys;

namespace Carapace.Envelope.Sealing;

/// <summary>
/// AES-256-GCM for the chunks of one envelope, STREAM-style. The message key and a 7-byte nonce prefix come from
/// HKDF-SHA256(ikm = edge key, salt = the header's random salt, info = label ‖ request id); the nonce of chunk i is
/// <c>prefix[7] ‖ i (u32 BE) ‖ final flag (1 byte)</c>; the associated data is the exact header. A fresh salt per
/// seal makes every message key unique, so no (key, nonce) pair repeats, even when a request is sealed again.
/// </summary>
internal sealed class MessageCipher : IDisposable
{
    public const int NonceSize = 12;
    private const int NoncePrefixSize = 7;
    private static readonly byte[] s_label = Encoding.ASCII.GetBytes("carapace envelope v1 message key");

    private readonly AesGcm _aes;
    private readonly byte[] _noncePrefix;
    private readonly byte[] _associatedData;

    public MessageCipher(EdgeKey key, EnvelopeHeader header)
    {
        Span<byte> info = stackalloc byte[s_label.Length + RequestId.Size];
        s_label.CopyTo(info);
        header.Metadata.RequestId.WriteTo(info[s_label.Length..]);
        Span<byte> okm = stackalloc byte[32 + NoncePrefixSize];
        try
        {
            HKDF.DeriveKey(HashAlgorithmName.SHA256, key.Bytes, okm, header.Salt, info);
            _aes = new AesGcm(okm[..32], ChunkLayout.TagSize);
            _noncePrefix = okm[32..].ToArray();
        }
        finally
        {
            CryptographicOperations.ZeroMemory(okm);
        }

        _associatedData = header.Bytes.ToArray();
    }

    /// <summary>Encrypts <paramref name="plaintext"/> into <paramref name="destination"/> (ciphertext then the 16-byte tag).</summary>
    public void Seal(uint index, bool final, ReadOnlySpan<byte> plaintext, Span<byte> destination)
    {
        Span<byte> nonce = stackalloc byte[NonceSize];
        MakeNonce(index, final, nonce);
        _aes.Encrypt(nonce, plaintext, destination[..plaintext.Length], destination.Slice(plaintext.Length, ChunkLayout.TagSize), _associatedData);
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
            _aes.Decrypt(nonce, chunk[..length], chunk[length..], plaintext[..length], _associatedData);
            return true;
        }
        catch (AuthenticationTagMismatchException)
        {
            CryptographicOperations.ZeroMemory(plaintext[..length]);
            return false;
        }
    }

    public void Dispose() => _aes.Dispose();

    private void MakeNonce(uint index, bool final, Span<byte> nonce)
    {
        _noncePrefix.CopyTo(nonce);
        BinaryPrimitives.WriteUInt32BigEndian(nonce[NoncePrefixSize..], index);
        nonce[NonceSize - 1] = final ? (byte)1 : (byte)0;
    }
}
