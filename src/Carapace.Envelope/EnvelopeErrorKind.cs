namespace Carapace.Envelope;

/// <summary>What went wrong while reading or opening an envelope.</summary>
public enum EnvelopeErrorKind
{
    /// <summary>The bytes are not a well-formed envelope (bad magic, bad header field, bad metadata, bad padding).</summary>
    Malformed,

    /// <summary>The envelope declares a format version this build does not read.</summary>
    UnsupportedVersion,

    /// <summary>A chunk's authentication tag did not verify: the data or its metadata was modified, or chunks were reordered, duplicated or spliced.</summary>
    AuthenticationFailed,

    /// <summary>The envelope ends early: in its header, inside a chunk, or after a chunk that was not sealed as the final one.</summary>
    Truncated,

    /// <summary>The envelope was sealed for a different key (the key id in its metadata is not the id of the key given), e.g. another chain, edge or namespace.</summary>
    WrongKey,

    /// <summary>The request id was already accepted on this edge.</summary>
    Replay,

    /// <summary>A size limit was exceeded (metadata, payload or chunk count).</summary>
    TooLarge,
}
