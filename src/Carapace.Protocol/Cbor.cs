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
