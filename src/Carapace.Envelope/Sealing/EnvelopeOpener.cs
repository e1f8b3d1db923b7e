using System.Buffers;
using System.IO.Pipelines;
using System.Security.Cryptography;
using Carapace.Envelope.Format;
using Carapace.Envelope.Keys;

namespace Carapace.Envelope.Sealing;

/// <summary>
/// Verifies and decrypts envelopes. A chunk's plaintext is released only after its tag has verified; the streaming
/// opener releases each verified chunk as it goes, so a failure in a later chunk leaves earlier, verified chunks
/// written and the operation failed (callers that need all-or-nothing write to a temporary place first).
/// </summary>
public static class EnvelopeOpener
{
    /// <summary>Opens an envelope held in memory; nothing is returned unless every chunk verifies.</summary>
    /// <exception cref="EnvelopeException">Any problem with the envelope or the key.</exception>
    public static OpenedEnvelope Open(EdgeKey key, ReadOnlySpan<byte> envelope, OpenOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(key);
        var header = EnvelopeHeader.Parse(envelope);
        using var verifier = new ChunkVerifier(key, header, options ?? OpenOptions.Default);
        var output = new byte[PlaintextBound(header, envelope.Length)];
        var written = OpenInto(verifier, envelope[header.Length..], output);
        return new OpenedEnvelope(header.Metadata, output, written);
    }

    /// <summary>
    /// Opens an envelope held in memory into <paramref name="destination"/> without allocating the output. The
    /// writer advances only when every chunk has verified; on failure the bytes it handed out are zeroed.
    /// </summary>
    /// <returns>The authenticated metadata.</returns>
    /// <exception cref="EnvelopeException">Any problem with the envelope or the key.</exception>
    public static EnvelopeMetadata Open(EdgeKey key, ReadOnlySpan<byte> envelope, IBufferWriter<byte> destination, OpenOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(destination);
        var header = EnvelopeHeader.Parse(envelope);
        using var verifier = new ChunkVerifier(key, header, options ?? OpenOptions.Default);
        var bound = (int)PlaintextBound(header, envelope.Length);
        var written = OpenInto(verifier, envelope[header.Length..], destination.GetSpan(bound)[..bound]);
        destination.Advance(written);
        return header.Metadata;
    }

    /// <summary>
    /// Upper bound of the plaintext: every chunk minus its tag (a padded final chunk's padding comes off later). A
    /// final chunk shorter than a tag adds nothing (it fails as Truncated), but the chunks before it still need room.
    /// </summary>
    private static long PlaintextBound(EnvelopeHeader header, int envelopeLength)
    {
        var body = envelopeLength - header.Length;
        var chunks = header.ChunkCount(body);
        if (chunks == 0)
        {
            return 0;
        }

        var final = body - ((chunks - 1) * ChunkLayout.NonFinalCipherLength(header.ChunkSize));
        return ((chunks - 1) * header.ChunkSize) + Math.Max(0, final - ChunkLayout.TagSize);
    }

    private static int OpenInto(ChunkVerifier verifier, ReadOnlySpan<byte> body, Span<byte> output)
    {
        if (body.IsEmpty)
        {
            throw NoChunks();
        }

        var written = 0;
        try
        {
            while (true)
            {
                var final = body.Length <= verifier.MaxFinalLength;
                var chunk = final ? body : body[..verifier.NonFinalLength];
                written += verifier.Verify(chunk, final, output[written..]);
                if (final)
                {
                    return written;
                }

                body = body[verifier.NonFinalLength..];
            }
        }
        catch
        {
            CryptographicOperations.ZeroMemory(output);
            throw;
        }
    }

    /// <summary>
    /// Opens an envelope read from <paramref name="source"/> and writes the payload to <paramref name="destination"/>,
    /// one verified chunk at a time: memory use is a few chunks, whatever the payload size.
    /// </summary>
    /// <returns>The authenticated metadata.</returns>
    /// <exception cref="EnvelopeException">Any problem with the envelope or the key.</exception>
    public static Task<EnvelopeMetadata> OpenAsync(
        EdgeKey key, Stream source, Stream destination, OpenOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        return OpenAsync(_ => key, source, destination, options, cancellationToken);
    }

    /// <summary>
    /// Opens an envelope whose key is chosen from its (not yet authenticated) metadata, e.g. by chain and step or by
    /// key id: <paramref name="selectKey"/> sees the metadata once the header is parsed and returns the edge key to
    /// try; the caller keeps ownership of that key. Authentication then proves the metadata genuine.
    /// </summary>
    /// <returns>The authenticated metadata.</returns>
    /// <exception cref="EnvelopeException">Any problem with the envelope or the key.</exception>
    public static async Task<EnvelopeMetadata> OpenAsync(
        Func<EnvelopeMetadata, EdgeKey> selectKey, Stream source, Stream destination, OpenOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(selectKey);
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(destination);
        var header = await EnvelopeHeader.ReadAsync(source, cancellationToken).ConfigureAwait(false);
        var key = selectKey(header.Metadata);
        using var verifier = new ChunkVerifier(key, header, options ?? OpenOptions.Default);

        // One sealed chunk of the largest kind plus one byte of look-ahead: if more than a final chunk can hold
        // remains, the chunk is a non-final one.
        var window = verifier.MaxFinalLength + 1;
        var input = ArrayPool<byte>.Shared.Rent(window);
        var plain = ArrayPool<byte>.Shared.Rent(verifier.MaxFinalLength);
        try
        {
            var carried = 0;
            while (true)
            {
                var filled = carried + await source.ReadAtLeastAsync(
                    input.AsMemory(carried, window - carried), window - carried, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
                if (filled == 0)
                {
                    throw NoChunks();
                }

                var final = filled < window;
                var length = final ? filled : verifier.NonFinalLength;
                var data = verifier.Verify(input.AsSpan(0, length), final, plain);
                await destination.WriteAsync(plain.AsMemory(0, data), cancellationToken).ConfigureAwait(false);
                CryptographicOperations.ZeroMemory(plain.AsSpan(0, data));
                if (final)
                {
                    break;
                }

                carried = filled - length;
                input.AsSpan(length, carried).CopyTo(input);
            }

            await destination.FlushAsync(cancellationToken).ConfigureAwait(false);
            return header.Metadata;
        }
        finally
        {
            // Only the first MaxFinalLength bytes ever held plaintext (each chunk is also zeroed once written).
            CryptographicOperations.ZeroMemory(plain.AsSpan(0, verifier.MaxFinalLength));
            ArrayPool<byte>.Shared.Return(input, clearArray: false);
            ArrayPool<byte>.Shared.Return(plain, clearArray: false);
        }
    }

    /// <summary>Opens an envelope read from a pipe; see <see cref="OpenAsync(EdgeKey, Stream, Stream, OpenOptions?, CancellationToken)"/>.</summary>
    public static Task<EnvelopeMetadata> OpenAsync(
        EdgeKey key, PipeReader source, Stream destination, OpenOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        return OpenAsync(key, source.AsStream(leaveOpen: true), destination, options, cancellationToken);
    }

    private static EnvelopeException NoChunks() =>
        new(EnvelopeErrorKind.Truncated, "envelope is truncated: it has a header but no chunks", 0);
}
