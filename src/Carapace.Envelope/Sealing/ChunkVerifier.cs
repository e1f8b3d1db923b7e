using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using Carapace.Envelope.Format;
using Carapace.Envelope.Keys;

namespace Carapace.Envelope.Sealing;

/// <summary>
/// The per-chunk rules of opening, shared by the in-memory and the streaming opener: authenticate chunk i as final or
/// not, tell truncation from tampering, record the request id with the replay guard once the header is proven
/// authentic (and withdraw the record if the envelope then fails to open), strip padding, and enforce the payload
/// limit before anything is released.
/// </summary>
internal sealed class ChunkVerifier : IDisposable
{
    private readonly EnvelopeHeader _header;
    private readonly OpenOptions _options;
    private readonly MessageCipher _cipher;
    private long _released;
    private LinkedListNode<RequestId>? _replayRecord;
    private bool _opened;

    public ChunkVerifier(EdgeKey key, EnvelopeHeader header, OpenOptions options)
    {
        // Key ids are public fingerprints, so an ordinary comparison leaks nothing.
        if (header.Metadata.KeyId != key.Id)
        {
            throw new EnvelopeException(EnvelopeErrorKind.WrongKey,
                $"envelope is sealed for key id {header.Metadata.KeyId}, but the key given has id {key.Id} " +
                "(wrong key, chain or step)");
        }

        _header = header;
        _options = options;
        _cipher = new MessageCipher(key, header);
    }

    /// <summary>Index of the next chunk to verify.</summary>
    public long Index { get; private set; }

    public int NonFinalLength => ChunkLayout.NonFinalCipherLength(_header.ChunkSize);

    public int MaxFinalLength => ChunkLayout.MaxFinalCipherLength(_header.ChunkSize, _header.Padded);

    /// <summary>
    /// Verifies the next chunk and decrypts it into <paramref name="plaintext"/> (at least chunk length − 16 bytes).
    /// Returns how many leading bytes of <paramref name="plaintext"/> are payload.
    /// </summary>
    public int Verify(ReadOnlySpan<byte> chunk, bool final, Span<byte> plaintext)
    {
        if (Index > uint.MaxValue)
        {
            throw new EnvelopeException(EnvelopeErrorKind.TooLarge, "envelope has more than 2^32 chunks");
        }

        var index = (uint)Index;
        if (final && chunk.Length < ChunkLayout.MinFinalCipherLength(_header.Padded))
        {
            throw new EnvelopeException(EnvelopeErrorKind.Truncated,
                Invariant($"envelope is truncated: it ends inside chunk {index} (cut short, or bytes were appended to it)"), index);
        }

        var plainLength = chunk.Length - ChunkLayout.TagSize;
        if (!_cipher.TryOpen(index, final, chunk, plaintext))
        {
            // A chunk that authenticates as non-final where the data ends was cut after it.
            if (final && chunk.Length == NonFinalLength && _cipher.TryOpen(index, final: false, chunk, plaintext))
            {
                CryptographicOperations.ZeroMemory(plaintext[..plainLength]);
                throw new EnvelopeException(EnvelopeErrorKind.Truncated,
                    Invariant($"envelope is truncated: it ends after chunk {index}, which was not sealed as the last one"), index);
            }

            throw EnvelopeException.AuthenticationFailed(index);
        }

        if (Index == 0 && _options.ReplayGuard is { } guard && !guard.TryAccept(_header.Metadata.KeyId, _header.Metadata.RequestId, out _replayRecord))
        {
            CryptographicOperations.ZeroMemory(plaintext[..plainLength]);
            throw new EnvelopeException(EnvelopeErrorKind.Replay,
                $"request {_header.Metadata.RequestId} was already accepted on edge {_header.Metadata.KeyId} (replay)");
        }

        var dataLength = final && _header.Padded ? Unpad(plaintext[..plainLength], index) : plainLength;
        if (dataLength > _options.MaxPayloadBytes - _released)
        {
            CryptographicOperations.ZeroMemory(plaintext[..plainLength]);
            throw new EnvelopeException(EnvelopeErrorKind.TooLarge,
                Invariant($"envelope payload exceeds the limit of {_options.MaxPayloadBytes} bytes"), index);
        }

        _released += dataLength;
        Index++;
        _opened = final;
        return dataLength;
    }

    public void Dispose()
    {
        // Recorded when chunk 0 verified, but the envelope did not open (a later chunk was forged or cut off, or
        // the payload is too large): the request id is not used up, or whoever corrupts an envelope in transit
        // and delivers the damaged copy first would get the genuine one refused as a replay.
        if (_replayRecord is not null && !_opened)
        {
            _options.ReplayGuard!.Forget(_header.Metadata.KeyId, _replayRecord);
        }

        _cipher.Dispose();
    }

    private static int Unpad(Span<byte> final, uint index)
    {
        var padding = BinaryPrimitives.ReadUInt32BigEndian(final[^ChunkLayout.TrailerSize..]);
        var room = final.Length - ChunkLayout.TrailerSize;
        if (padding > room || final.Slice(room - (int)padding, (int)padding).ContainsAnyExcept((byte)0))
        {
            CryptographicOperations.ZeroMemory(final);
            throw new EnvelopeException(EnvelopeErrorKind.Malformed, Invariant($"envelope is malformed: bad padding in chunk {index}"), index);
        }

        var dataLength = room - (int)padding;
        final[dataLength..].Clear();
        return dataLength;
    }

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
