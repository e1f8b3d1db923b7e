using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using Carapace.Envelope.Format;
using Carapace.Envelope.Keys;

namespace Carapace.Envelope.Sealing;

/// <summary>Seals payloads into envelopes (format v1) for one edge key.</summary>
public static class EnvelopeSealer
{
    /// <summary>Seals an in-memory payload.</summary>
    /// <returns>The complete envelope.</returns>
    public static byte[] Seal(EdgeKey key, ReadOnlySpan<byte> payload, SealOptions? options = null)
    {
        var header = CreateHeader(key, options);
        var length = SealedLength(header, payload.Length);
        if (length > Array.MaxLength)
        {
            throw new EnvelopeException(EnvelopeErrorKind.TooLarge, "the sealed envelope would not fit in one array; use SealAsync with streams");
        }

        var output = new byte[length];
        SealInto(key, header, payload, output);
        return output;
    }

    /// <summary>
    /// Seals an in-memory payload into <paramref name="destination"/> without allocating the output: reuse the
    /// writer (e.g. an <see cref="ArrayBufferWriter{T}"/> after <c>ResetWrittenCount</c>) on hot paths.
    /// </summary>
    /// <returns>The metadata written into the envelope (including the request id chosen).</returns>
    public static EnvelopeMetadata Seal(EdgeKey key, ReadOnlySpan<byte> payload, IBufferWriter<byte> destination, SealOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(destination);
        var header = CreateHeader(key, options);
        var length = SealedLength(header, payload.Length);
        if (length > int.MaxValue)
        {
            throw new EnvelopeException(EnvelopeErrorKind.TooLarge, "the sealed envelope would exceed 2 GiB; use SealAsync with streams");
        }

        var span = destination.GetSpan((int)length)[..(int)length];
        SealInto(key, header, payload, span);
        destination.Advance((int)length);
        return header.Metadata;
    }

    private static EnvelopeHeader CreateHeader(EdgeKey key, SealOptions? options)
    {
        ArgumentNullException.ThrowIfNull(key);
        options ??= SealOptions.Default;
        return EnvelopeHeader.Create(BuildMetadata(key, options), options.ChunkSize, options.Pad);
    }

    private static long SealedLength(EnvelopeHeader header, int payloadLength)
    {
        var cs = header.ChunkSize;
        var last = payloadLength == 0 ? 0 : (payloadLength - 1) / cs;
        var finalData = payloadLength - (last * cs);
        var finalPlain = header.Padded ? ChunkLayout.PaddedFinalPlainLength(last, finalData, cs) : finalData;
        return header.Length + ((long)last * ChunkLayout.NonFinalCipherLength(cs)) + finalPlain + ChunkLayout.TagSize;
    }

    private static void SealInto(EdgeKey key, EnvelopeHeader header, ReadOnlySpan<byte> payload, Span<byte> output)
    {
        var cs = header.ChunkSize;
        var last = payload.IsEmpty ? 0 : (payload.Length - 1) / cs;
        header.Bytes.CopyTo(output);
        using var cipher = new MessageCipher(key, header);
        var pos = header.Length;
        for (var i = 0; i < last; i++)
        {
            cipher.Seal((uint)i, final: false, payload.Slice(i * cs, cs), output[pos..]);
            pos += ChunkLayout.NonFinalCipherLength(cs);
        }

        var tail = payload[(last * cs)..];
        if (!header.Padded)
        {
            cipher.Seal((uint)last, final: true, tail, output[pos..]);
            return;
        }

        var finalPlain = ChunkLayout.PaddedFinalPlainLength(last, tail.Length, cs);
        var padded = ArrayPool<byte>.Shared.Rent(finalPlain);
        try
        {
            WritePaddedFinal(tail, padded.AsSpan(0, finalPlain));
            cipher.Seal((uint)last, final: true, padded.AsSpan(0, finalPlain), output[pos..]);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(padded, clearArray: true);
        }
    }

    /// <summary>
    /// Seals everything <paramref name="plaintext"/> yields into <paramref name="destination"/>, one chunk at a time:
    /// memory use is a few chunks, whatever the payload size.
    /// </summary>
    /// <returns>The metadata written into the envelope (including the request id chosen).</returns>
    /// <exception cref="EnvelopeException">The payload needs more than 2^32 chunks (<see cref="EnvelopeErrorKind.TooLarge"/>).</exception>
    public static async Task<EnvelopeMetadata> SealAsync(
        EdgeKey key, Stream plaintext, Stream destination, SealOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(plaintext);
        ArgumentNullException.ThrowIfNull(destination);
        var header = CreateHeader(key, options);
        var cs = header.ChunkSize;
        using var cipher = new MessageCipher(key, header); // before any output: a disposed key fails here, leaving nothing written
        await destination.WriteAsync(header.Bytes.ToArray(), cancellationToken).ConfigureAwait(false);

        // The plain buffer holds one chunk plus one byte of look-ahead (to know whether the chunk is the final one)
        // plus room for the padding trailer; the output buffer one sealed chunk.
        var plain = ArrayPool<byte>.Shared.Rent(cs + ChunkLayout.TrailerSize + 1);
        var sealedChunk = ArrayPool<byte>.Shared.Rent(ChunkLayout.MaxFinalCipherLength(cs, padded: true));
        try
        {
            var carried = 0;
            for (long index = 0; ; index++)
            {
                if (index > uint.MaxValue)
                {
                    throw new EnvelopeException(EnvelopeErrorKind.TooLarge, "payload needs more than 2^32 chunks");
                }

                var filled = carried + await plaintext.ReadAtLeastAsync(
                    plain.AsMemory(carried, cs + 1 - carried), cs + 1 - carried, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
                if (filled <= cs)
                {
                    var finalPlain = filled;
                    if (header.Padded)
                    {
                        finalPlain = ChunkLayout.PaddedFinalPlainLength(index, filled, cs);
                        WritePaddedFinal(plain.AsSpan(0, filled), plain.AsSpan(0, finalPlain));
                    }

                    cipher.Seal((uint)index, final: true, plain.AsSpan(0, finalPlain), sealedChunk);
                    await destination.WriteAsync(sealedChunk.AsMemory(0, finalPlain + ChunkLayout.TagSize), cancellationToken).ConfigureAwait(false);
                    break;
                }

                cipher.Seal((uint)index, final: false, plain.AsSpan(0, cs), sealedChunk);
                await destination.WriteAsync(sealedChunk.AsMemory(0, ChunkLayout.NonFinalCipherLength(cs)), cancellationToken).ConfigureAwait(false);
                plain[0] = plain[cs];
                carried = 1;
            }

            await destination.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            // Only the first chunk + trailer + 1 bytes ever held plaintext; clearing the whole pooled bucket
            // (128 KiB for 64 KiB chunks) would cost about 1 µs per message for nothing.
            CryptographicOperations.ZeroMemory(plain.AsSpan(0, cs + ChunkLayout.TrailerSize + 1));
            ArrayPool<byte>.Shared.Return(plain, clearArray: false);
            ArrayPool<byte>.Shared.Return(sealedChunk, clearArray: false);
        }

        return header.Metadata;
    }

    private static EnvelopeMetadata BuildMetadata(EdgeKey key, SealOptions options)
    {
        SortedDictionary<string, string>? attributes = null;
        if (options.Attributes is { Count: > 0 })
        {
            attributes = new SortedDictionary<string, string>(StringComparer.Ordinal);
            foreach (var (k, v) in options.Attributes)
            {
                attributes[k] = v;
            }
        }

        return new EnvelopeMetadata
        {
            RequestId = options.RequestId ?? RequestId.New(),
            ChainId = key.ChainId,
            Step = key.FromStep,
            NextStep = key.ToStep,
            Function = options.Function,
            KeyId = key.Id,
            ContentType = options.ContentType,
            Attributes = attributes ?? EnvelopeMetadata.EmptyAttributes,
        };
    }

    /// <summary>Lays out data ‖ zeros ‖ u32 BE padding length in <paramref name="final"/> (data may already be in place).</summary>
    private static void WritePaddedFinal(ReadOnlySpan<byte> data, Span<byte> final)
    {
        var padding = final.Length - data.Length - ChunkLayout.TrailerSize;
        data.CopyTo(final);
        final.Slice(data.Length, padding).Clear();
        BinaryPrimitives.WriteUInt32BigEndian(final[^ChunkLayout.TrailerSize..], (uint)padding);
    }
}
