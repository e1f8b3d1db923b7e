using Carapace.Envelope.Format;

namespace Carapace.Envelope.Sealing;

/// <summary>What to put in an envelope besides the payload. The chain, steps and key id come from the edge key.</summary>
public sealed class SealOptions
{
    internal static readonly SealOptions Default = new();

    /// <summary>The request id; a fresh random one when null. Reuse the id of the original request when resealing on a retry.</summary>
    public RequestId? RequestId { get; init; }

    /// <summary>The function the envelope is for or from.</summary>
    public string Function { get; init; } = string.Empty;

    /// <summary>The media type of the payload.</summary>
    public string ContentType { get; init; } = "application/octet-stream";

    /// <summary>Caller-defined plaintext string pairs (visible to the platform, authenticated).</summary>
    public IReadOnlyDictionary<string, string>? Attributes { get; init; }

    /// <summary>Plaintext bytes per chunk: a power of two from 64 B to 4 MiB; 64 KiB by default.</summary>
    public int ChunkSize { get; init; } = EnvelopeHeader.DefaultChunkSize;

    /// <summary>Pad the payload length to a size bucket so the sealed size says less about the real size.</summary>
    public bool Pad { get; init; }
}
