using System.Text;

namespace Carapace.Envelope.Tests.Support;

/// <summary>Deterministic test payloads.</summary>
internal static class Payloads
{
    /// <summary>A distinctive ASCII marker that must never show up in an error message.</summary>
    public const string Marker = "ZEBRA-PLAINTEXT-MARKER-7f3a";

    public static byte[] Random(int length, int seed = 1)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>The marker repeated to <paramref name="length"/> bytes.</summary>
    public static byte[] WithMarker(int length)
    {
        var text = new StringBuilder();
        while (text.Length < length)
        {
            text.Append(Marker).Append(' ');
        }

        return Encoding.ASCII.GetBytes(text.ToString(0, length));
    }
}
