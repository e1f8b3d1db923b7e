namespace Carapace.Envelope.Tests.Support;

internal static class Bytes
{
    public static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();

    public static byte[] WithXor(byte[] data, int position, byte mask)
    {
        var copy = (byte[])data.Clone();
        copy[position] ^= mask;
        return copy;
    }

    public static bool Contains(ReadOnlySpan<byte> haystack, ReadOnlySpan<byte> needle) => haystack.IndexOf(needle) >= 0;
}
