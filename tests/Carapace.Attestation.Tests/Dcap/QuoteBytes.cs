using System.Buffers.Binary;

namespace Carapace.Attestation.Tests.Dcap;

/// <summary>Edits of real quote bytes: fields by offset, and conversion to the version 5 layout.</summary>
internal static class QuoteBytes
{
    public const int SgxSignatureLengthOffset = 48 + 384;
    public const int TdxSignatureLengthOffset = 48 + 584;

    public static byte[] WithU16(byte[] quote, int offset, ushort value)
    {
        var copy = (byte[])quote.Clone();
        BinaryPrimitives.WriteUInt16LittleEndian(copy.AsSpan(offset), value);
        return copy;
    }

    public static byte[] WithU32(byte[] quote, int offset, uint value)
    {
        var copy = (byte[])quote.Clone();
        BinaryPrimitives.WriteUInt32LittleEndian(copy.AsSpan(offset), value);
        return copy;
    }

    public static byte[] Flip(byte[] quote, int offset, byte mask = 0x01)
    {
        var copy = (byte[])quote.Clone();
        copy[offset] ^= mask;
        return copy;
    }

    /// <summary>
    /// Re-lays a version 3 or 4 quote as version 5 with body type <paramref name="bodyType"/>: a body descriptor after
    /// the header, <paramref name="extraBody"/> appended to the body, and (for version 3) the QE report certification
    /// data wrapped as type 6. The quote signature no longer verifies; the layout parses.
    /// </summary>
    public static byte[] ToVersion5(byte[] quote, ushort bodyType, byte[]? extraBody = null)
    {
        var version = BinaryPrimitives.ReadUInt16LittleEndian(quote);
        var bodySize = BinaryPrimitives.ReadUInt32LittleEndian(quote.AsSpan(4)) == 0x81 ? 584 : 384;
        var body = quote.AsSpan(48, bodySize).ToArray().Concat(extraBody ?? []).ToArray();
        var signatureLength = (int)BinaryPrimitives.ReadUInt32LittleEndian(quote.AsSpan(48 + bodySize));
        var signatureData = quote.AsSpan(48 + bodySize + 4, signatureLength).ToArray();
        if (version == 3)
        {
            var inner = signatureData[128..];
            signatureData = [.. signatureData[..128], .. U16(6), .. U32((uint)inner.Length), .. inner];
        }

        var header = quote[..48];
        BinaryPrimitives.WriteUInt16LittleEndian(header, 5);
        return [.. header, .. U16(bodyType), .. U32((uint)body.Length), .. body, .. U32((uint)signatureData.Length), .. signatureData];
    }

    private static byte[] U16(ushort value) => BitConverter.GetBytes(value);

    private static byte[] U32(uint value) => BitConverter.GetBytes(value);
}
