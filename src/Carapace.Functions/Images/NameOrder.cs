namespace Carapace.Functions.Images;

/// <summary>
/// The order of names in an image: bytewise over their UTF-8 encodings, which is also Unicode code point order
/// (and differs from .NET's ordinal UTF-16 order for characters above U+FFFF against U+E000..U+FFFF).
/// </summary>
internal static class NameOrder
{
    /// <summary>Compares two UTF-8 names.</summary>
    public static int Compare(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b) => a.SequenceCompareTo(b);
}
