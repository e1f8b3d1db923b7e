using System.Buffers.Binary;
using System.Globalization;

namespace Carapace.Envelope.Format;

/// <summary>
/// The public header of an envelope (format v1, see docs/envelope.md):
/// <c>magic "CRPE" ‖ version ‖ flags ‖ log2(chunk size) ‖ reserved ‖ salt[32] ‖ len(metadata) u32 BE ‖ metadata (canonical CBOR)</c>.
/// The exact header bytes are the associated data of every chunk, so reading it needs no key and changing it
/// makes every chunk fail to authenticate.
/// </summary>
public sealed class EnvelopeHeader
{
    /// <summary>The format version this build writes and reads.</summary>
    public const int CurrentVersion = 1;

    /// <summary>Bytes before the metadata.</summary>
    public const int FixedLength = 44;

    /// <summary>Salt length in bytes.</summary>
    public const int SaltSize = 32;

    /// <summary>Smallest chunk size (2^6 bytes); small chunks exist for tests and tiny messages.</summary>
    public const int MinChunkSizeLog2 = 6;

    /// <summary>Largest chunk size (2^22 bytes = 4 MiB).</summary>
    public const int MaxChunkSizeLog2 = 22;

    /// <summary>The default chunk size, 64 KiB.</summary>
    public const int DefaultChunkSize = 64 * 1024;

    internal const byte FlagPadded = 0x01;

    private readonly byte[] _bytes;

    private EnvelopeHeader(byte[] bytes, int chunkSize, bool padded, EnvelopeMetadata metadata)
    {
        _bytes = bytes;
        ChunkSize = chunkSize;
        Padded = padded;
        Metadata = metadata;
    }

    /// <summary>The first four bytes of every envelope.</summary>
    public static ReadOnlySpan<byte> Magic => "CRPE"u8;

    /// <summary>The format version (always <see cref="CurrentVersion"/> for a parsed header).</summary>
    public int Version => CurrentVersion;

    /// <summary>Plaintext bytes per non-final chunk.</summary>
    public int ChunkSize { get; }

    /// <summary>Whether the payload length is padded to a size bucket (the real length is inside the ciphertext).</summary>
    public bool Padded { get; }

    /// <summary>The plaintext metadata.</summary>
    public EnvelopeMetadata Metadata { get; }

    /// <summary>Length of the encoded header in bytes; the first chunk starts here.</summary>
    public int Length => _bytes.Length;

    /// <summary>
    /// How many chunks a body (everything after the header) of <paramref name="bodyLength"/> bytes holds under this
    /// header's layout; 0 for an empty body. Each chunk carries a 16-byte tag, and a padded envelope's final chunk
    /// a 4-byte padding trailer. Says nothing about whether the chunks are authentic.
    /// </summary>
    public long ChunkCount(long bodyLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bodyLength);
        var maxFinal = Sealing.ChunkLayout.MaxFinalCipherLength(ChunkSize, Padded);
        var nonFinal = Sealing.ChunkLayout.NonFinalCipherLength(ChunkSize);
        return bodyLength == 0 ? 0 : bodyLength <= maxFinal ? 1 : ((bodyLength - maxFinal - 1) / nonFinal) + 2;
    }

    /// <summary>The encoded header: the associated data of every chunk.</summary>
    internal ReadOnlySpan<byte> Bytes => _bytes;

    internal ReadOnlySpan<byte> Salt => _bytes.AsSpan(8, SaltSize);

    /// <summary>Parses the header at the start of <paramref name="envelope"/>.</summary>
    /// <exception cref="EnvelopeException">Malformed, UnsupportedVersion, Truncated or TooLarge.</exception>
    public static EnvelopeHeader Parse(ReadOnlySpan<byte> envelope)
    {
        var metadataLength = ParseFixed(envelope, out var chunkLog2, out var padded);
        if (envelope.Length < FixedLength + metadataLength)
        {
            throw EnvelopeException.TruncatedHeader();
        }

        var bytes = envelope[..(FixedLength + metadataLength)].ToArray();
        return Build(bytes, chunkLog2, padded);
    }

    /// <summary>Reads exactly the header from <paramref name="source"/>, leaving the stream at the first chunk.</summary>
    /// <exception cref="EnvelopeException">Malformed, UnsupportedVersion, Truncated or TooLarge.</exception>
    public static async ValueTask<EnvelopeHeader> ReadAsync(Stream source, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        var fixedPart = new byte[FixedLength];
        var got = await source.ReadAtLeastAsync(fixedPart, FixedLength, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        var metadataLength = ParseFixed(fixedPart.AsSpan(0, got), out var chunkLog2, out var padded);
        var bytes = new byte[FixedLength + metadataLength];
        fixedPart.CopyTo(bytes, 0);
        got = await source.ReadAtLeastAsync(bytes.AsMemory(FixedLength), metadataLength, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        if (got < metadataLength)
        {
            throw EnvelopeException.TruncatedHeader();
        }

        return Build(bytes, chunkLog2, padded);
    }

    internal static EnvelopeHeader Create(EnvelopeMetadata metadata, int chunkSize, bool padded)
    {
        var chunkLog2 = ChunkSizeLog2(chunkSize);
        var encoded = MetadataCodec.Encode(metadata);
        var bytes = new byte[FixedLength + encoded.Length];
        Magic.CopyTo(bytes);
        bytes[4] = CurrentVersion;
        bytes[5] = padded ? FlagPadded : (byte)0;
        bytes[6] = (byte)chunkLog2;
        bytes[7] = 0;
        PublicRandom.Fill(bytes.AsSpan(8, SaltSize));
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(40), (uint)encoded.Length);
        encoded.CopyTo(bytes, FixedLength);
        return new EnvelopeHeader(bytes, chunkSize, padded, metadata);
    }

    /// <summary>Checks that <paramref name="chunkSize"/> is a power of two in the allowed range and returns its log2.</summary>
    internal static int ChunkSizeLog2(int chunkSize)
    {
        if (chunkSize < 1 << MinChunkSizeLog2 || chunkSize > 1 << MaxChunkSizeLog2 || !int.IsPow2(chunkSize))
        {
            throw new ArgumentOutOfRangeException(nameof(chunkSize), chunkSize,
                $"the chunk size must be a power of two from {1 << MinChunkSizeLog2} to {1 << MaxChunkSizeLog2} bytes");
        }

        return int.Log2(chunkSize);
    }

    private static int ParseFixed(ReadOnlySpan<byte> data, out int chunkLog2, out bool padded)
    {
        chunkLog2 = 0;
        padded = false;
        var magicPart = data[..Math.Min(data.Length, Magic.Length)];
        if (!Magic.StartsWith(magicPart) || data.IsEmpty)
        {
            throw data.IsEmpty
                ? new EnvelopeException(EnvelopeErrorKind.Truncated, "envelope is empty")
                : EnvelopeException.Malformed("it does not start with the Carapace envelope magic 'CRPE'");
        }

        if (data.Length < 5)
        {
            throw EnvelopeException.TruncatedHeader();
        }

        if (data[4] != CurrentVersion)
        {
            throw new EnvelopeException(EnvelopeErrorKind.UnsupportedVersion,
                $"envelope format version {data[4]} is not supported (this build reads version {CurrentVersion})");
        }

        if (data.Length < FixedLength)
        {
            throw EnvelopeException.TruncatedHeader();
        }

        if ((data[5] & ~FlagPadded) != 0)
        {
            throw EnvelopeException.Malformed($"unknown header flags 0x{data[5]:x2}");
        }

        padded = (data[5] & FlagPadded) != 0;
        chunkLog2 = data[6];
        if (chunkLog2 is < MinChunkSizeLog2 or > MaxChunkSizeLog2)
        {
            throw EnvelopeException.Malformed(string.Create(CultureInfo.InvariantCulture,
                $"chunk size 2^{chunkLog2} is outside 2^{MinChunkSizeLog2}..2^{MaxChunkSizeLog2}"));
        }

        if (data[7] != 0)
        {
            throw EnvelopeException.Malformed("reserved header byte is not zero");
        }

        var metadataLength = BinaryPrimitives.ReadUInt32BigEndian(data[40..]);
        if (metadataLength > MetadataCodec.MaxEncodedBytes)
        {
            throw new EnvelopeException(EnvelopeErrorKind.TooLarge,
                $"envelope metadata is {metadataLength} bytes; the limit is {MetadataCodec.MaxEncodedBytes}");
        }

        return (int)metadataLength;
    }

    private static EnvelopeHeader Build(byte[] bytes, int chunkLog2, bool padded)
    {
        var metadata = MetadataCodec.Decode(bytes.AsMemory(FixedLength));
        return new EnvelopeHeader(bytes, 1 << chunkLog2, padded, metadata);
    }
}
