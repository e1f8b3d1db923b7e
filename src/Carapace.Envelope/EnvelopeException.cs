namespace Carapace.Envelope;

/// <summary>
/// The one exception type the envelope API throws for a problem in its input: tampered, truncated, malformed,
/// replayed or oversized envelopes, or the wrong key. The message names the problem (and the chunk, where there
/// is one); it never contains key bytes or plaintext.
/// </summary>
public sealed class EnvelopeException : Exception
{
    /// <summary>Creates an envelope error of the given kind.</summary>
    public EnvelopeException(EnvelopeErrorKind kind, string message, long? chunkIndex = null)
        : base(message)
    {
        Kind = kind;
        ChunkIndex = chunkIndex;
    }

    /// <summary>The class of failure, for programs that react to it.</summary>
    public EnvelopeErrorKind Kind { get; }

    /// <summary>The zero-based index of the chunk that failed, when the failure concerns one chunk.</summary>
    public long? ChunkIndex { get; }

    internal static EnvelopeException Malformed(string what) =>
        new(EnvelopeErrorKind.Malformed, $"envelope is malformed: {what}");

    internal static EnvelopeException TruncatedHeader() =>
        new(EnvelopeErrorKind.Truncated, "envelope is truncated: it ends inside its header");

    internal static EnvelopeException AuthenticationFailed(long chunk) =>
        new(EnvelopeErrorKind.AuthenticationFailed,
            $"envelope authentication failed (chunk {chunk}): data was modified or the key is wrong", chunk);
}
