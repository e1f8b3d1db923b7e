using System.Formats.Cbor;

namespace Carapace.Protocol;

/// <summary>Small helpers for the protocol's CBOR maps with text keys.</summary>
internal static class Cbor
{
    /// <summary>Reads a map of text keys, calling <paramref name="field"/> for each key with the reader at its value; unknown keys are skipped by the callback returning false.</summary>
    public static void ReadMap(ReadOnlyMemory<byte> body, string message, Func<string, CborReader, bool> field)
    {
        try
        {
            var r = new CborReader(body, CborConformanceMode.Strict);
            var count = r.ReadStartMap() ?? throw new ProtocolException($"{message}: indefinite-length map");
            for (var i = 0; i < count; i++)
            {
                var key = r.ReadTextString();
                if (!field(key, r))
                {
                    r.SkipValue();
                }
            }

            r.ReadEndMap();
        }
        catch (Exception e) when (e is CborContentException or InvalidOperationException or OverflowException or FormatException)
        {
            throw new ProtocolException($"{message}: malformed body ({e.Message})", e);
        }
    }

    /// <summary>Reads a byte string as a slice of <paramref name="source"/> (no copy; the reader must be reading <paramref name="source"/>).</summary>
    public static ReadOnlyMemory<byte> ReadBytesSlice(CborReader r, ReadOnlyMemory<byte> source)
    {
        if (r.PeekState() != CborReaderState.ByteString)
        {
            throw new InvalidOperationException("expected a byte string");
        }

        var start = source.Length - r.BytesRemaining;
        r.SkipValue();
        var end = source.Length - r.BytesRemaining;
        var item = source[start..end];
        var info = item.Span[0] & 0x1f;
        var head = info switch
        {
            < 24 => 1,
            24 => 2,
            25 => 3,
            26 => 5,
            27 => 9,
            _ => throw new InvalidOperationException("indefinite-length byte string"),
        };
        return item[head..];
    }

    /// <summary>Writes a CBOR head (major type and argument) in its shortest form; returns the bytes written.</summary>
    public static int WriteHead(Span<byte> destination, int major, ulong value)
    {
        var type = (byte)(major << 5);
        switch (value)
        {
            case < 24:
                destination[0] = (byte)(type | (byte)value);
                return 1;
            case <= byte.MaxValue:
                destination[0] = (byte)(type | 24);
                destination[1] = (byte)value;
                return 2;
            case <= ushort.MaxValue:
                destination[0] = (byte)(type | 25);
                System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(destination[1..], (ushort)value);
                return 3;
            case <= uint.MaxValue:
                destination[0] = (byte)(type | 26);
                System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(destination[1..], (uint)value);
                return 5;
            default:
                destination[0] = (byte)(type | 27);
                System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(destination[1..], value);
                return 9;
        }
    }

    /// <summary>Writes a CBOR integer (major type 0 or 1); returns the bytes written.</summary>
    public static int WriteInteger(Span<byte> destination, long value) =>
        value >= 0 ? WriteHead(destination, 0, (ulong)value) : WriteHead(destination, 1, (ulong)(-1 - value));

    /// <summary>Writes a short ASCII text string; returns the bytes written.</summary>
    public static int WriteTextKey(Span<byte> destination, ReadOnlySpan<byte> ascii)
    {
        var n = WriteHead(destination, 3, (ulong)ascii.Length);
        ascii.CopyTo(destination[n..]);
        return n + ascii.Length;
    }

    public static int ReadInt(CborReader r, int min = int.MinValue, int max = int.MaxValue)
    {
        var v = r.ReadInt64();
        if (v < min || v > max)
        {
            throw new InvalidOperationException($"integer {v} is outside {min}..{max}");
        }

        return (int)v;
    }

    public static T Require<T>(T? value, string message, string field)
        where T : class =>
        value ?? throw new ProtocolException($"{message}: missing field '{field}'");

    public static T Require<T>(T? value, string message, string field)
        where T : struct =>
        value ?? throw new ProtocolException($"{message}: missing field '{field}'");
}
