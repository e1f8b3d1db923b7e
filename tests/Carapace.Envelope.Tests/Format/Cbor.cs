using System.Formats.Cbor;
using Carapace.Envelope.Format;

namespace Carapace.Envelope.Tests.Format;

/// <summary>Hand-built CBOR, to write metadata the library's encoder never would.</summary>
internal static class Cbor
{
    public static byte[] Text(string s) => One(w => w.WriteTextString(s));

    public static byte[] UInt(ulong v) => One(w => w.WriteUInt64(v));

    public static byte[] Int(long v) => One(w => w.WriteInt64(v));

    public static byte[] Bytes(byte[] b) => One(w => w.WriteByteString(b));

    public static byte[] Raw(params byte[] b) => b;

    /// <summary>A definite-length map of the given entries, in the given order (count ≤ 23, one-byte head).</summary>
    public static byte[] Map(IEnumerable<(byte[] Key, byte[] Value)> entries)
    {
        var list = entries.ToList();
        return [(byte)(0xa0 | list.Count), .. list.SelectMany(e => e.Key.Concat(e.Value))];
    }

    public static byte[] Map(params (string Key, byte[] Value)[] entries) => Map(entries.Select(e => (Text(e.Key), e.Value)));

    /// <summary>A map with a two-byte head (for more than 23 entries).</summary>
    public static byte[] LongMap(IReadOnlyList<(string Key, string Value)> entries) =>
        [0xb8, (byte)entries.Count, .. entries.SelectMany(e => Text(e.Key).Concat(Text(e.Value)))];

    /// <summary>The eight fields of valid metadata, in canonical order; replace or drop entries to break it.</summary>
    public static List<(string Key, byte[] Value)> ValidFields() =>
    [
        ("ct", Text("text/plain")),
        ("fn", Text("resize")),
        ("ext", Map(("k", Text("v")))),
        ("kid", Text("0123456789abcdef")),
        ("rid", Bytes(Enumerable.Range(1, RequestId.Size).Select(i => (byte)i).ToArray())),
        ("next", UInt(2)),
        ("step", UInt(1)),
        ("chain", Text("c")),
    ];

    public static List<(string Key, byte[] Value)> With(string key, byte[] value) =>
        ValidFields().Select(f => f.Key == key ? (f.Key, value) : f).ToList();

    private static byte[] One(Action<CborWriter> write)
    {
        var w = new CborWriter(CborConformanceMode.Lax);
        write(w);
        return w.Encode();
    }
}
