using Carapace.Envelope.Keys;

namespace Carapace.Envelope.Format;

/// <summary>
/// The plaintext metadata of an envelope. Anyone can read it (the platform routes on it); nobody without the edge
/// key can change it, because the encoded header is the associated data of every payload chunk.
/// </summary>
public sealed class EnvelopeMetadata
{
    /// <summary>Longest function name, chain id or content type, in UTF-8 bytes.</summary>
    public const int MaxNameBytes = 256;

    /// <summary>Most caller-defined attribute pairs.</summary>
    public const int MaxAttributes = 64;

    /// <summary>Longest attribute name, in UTF-8 bytes.</summary>
    public const int MaxAttributeNameBytes = 128;

    /// <summary>Longest attribute value, in UTF-8 bytes.</summary>
    public const int MaxAttributeValueBytes = 1024;

    /// <summary>The request this envelope belongs to.</summary>
    public required RequestId RequestId { get; init; }

    /// <summary>The chain the envelope travels.</summary>
    public required string ChainId { get; init; }

    /// <summary>The step that sealed the envelope (0 = the client).</summary>
    public required int Step { get; init; }

    /// <summary>The step the envelope is addressed to.</summary>
    public required int NextStep { get; init; }

    /// <summary>The function the envelope is for or from (may be empty).</summary>
    public required string Function { get; init; }

    /// <summary>The public id of the edge key the envelope was sealed with.</summary>
    public required KeyId KeyId { get; init; }

    /// <summary>The media type of the payload.</summary>
    public required string ContentType { get; init; }

    /// <summary>Caller-defined string pairs, ordered by name.</summary>
    public IReadOnlyDictionary<string, string> Attributes { get; init; } = EmptyAttributes;

    internal static readonly IReadOnlyDictionary<string, string> EmptyAttributes =
        new SortedDictionary<string, string>(StringComparer.Ordinal);
}
