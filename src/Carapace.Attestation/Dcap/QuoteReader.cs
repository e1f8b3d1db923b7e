using System.Buffers.Binary;

namespace Carapace.Attestation.Dcap;

/// <summary>
/// Reads a DCAP quote front to back inside a bounded region, checking every field against the bytes that remain, and
/// names the field and offset when the quote ends early. Positions are absolute offsets into the whole quote.
/// </summary>
internal ref struct QuoteReader
{
    private readonly ReadOnlySpan<byte> _quote;
    private readonly int _end;
    private readonly string _region;
    private int _position;

    public QuoteReader(ReadOnlySpan<byte> quote, int start, int end, string region)
    {
        _quote = quote;
        _position = start;
        _end = end;
        _region = region;
    }

    /// <summary>The absolute offset of the next byte.</summary>
    public readonly int Position => _position;

    /// <summary>The bytes left in this region.</summary>
    public readonly int Remaining => _end - _position;

    /// <summary>Takes <paramref name="length"/> bytes and returns where they are.</summary>
    public Range Take(long length, string what)
    {
        if (length < 0 || length > Remaining)
        {
            throw AttestationException.Malformed(
                $"the quote's {_region} ends inside the {what}: {length} bytes are needed at offset {_position}, but only {Remaining} remain");
        }

        var start = _position;
        _position += (int)length;
        return start..(start + (int)length);
    }

    /// <summary>Reads a little-endian 16-bit field.</summary>
    public ushort U16(string what) => BinaryPrimitives.ReadUInt16LittleEndian(_quote[Take(2, what)]);

    /// <summary>Reads a little-endian 32-bit field.</summary>
    public uint U32(string what) => BinaryPrimitives.ReadUInt32LittleEndian(_quote[Take(4, what)]);

    /// <summary>Takes a region of <paramref name="length"/> bytes (a declared, untrusted length) to read on its own.</summary>
    public QuoteReader Region(long length, string what)
    {
        var range = Take(length, what);
        return new QuoteReader(_quote, range.Start.Value, range.End.Value, what);
    }

    /// <summary>Requires that every byte of this region has been read.</summary>
    public readonly void End()
    {
        if (Remaining != 0)
        {
            throw AttestationException.Malformed(
                $"the quote's {_region} declares {Remaining} more bytes than its fields use (unused bytes at offset {_position})");
        }
    }
}
