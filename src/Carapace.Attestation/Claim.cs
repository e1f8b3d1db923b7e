namespace Carapace.Attestation;

/// <summary>
/// One named claim read from verified evidence: a byte string (shown as lower-case hex), a number, a text, or a
/// group of claims (e.g. Nitro <c>pcrs</c>). Names follow the vendors' documentation in lower case
/// (<c>mrenclave</c>, <c>mrtd</c>, <c>rtmr0</c>, <c>measurement</c>, <c>reportData</c>…).
/// </summary>
public sealed class Claim
{
    private Claim(string name, byte[]? bytes, ulong? number, string? text, IReadOnlyList<Claim>? items)
    {
        Name = name;
        Bytes = bytes;
        Number = number;
        Text = text;
        Items = items;
    }

    /// <summary>The claim's name.</summary>
    public string Name { get; }

    /// <summary>The value when the claim is a byte string.</summary>
    public byte[]? Bytes { get; }

    /// <summary>The value when the claim is a number.</summary>
    public ulong? Number { get; }

    /// <summary>The value when the claim is a text.</summary>
    public string? Text { get; }

    /// <summary>The members when the claim is a group.</summary>
    public IReadOnlyList<Claim>? Items { get; }

    /// <summary>A byte-string claim (the bytes are copied).</summary>
    public static Claim Of(string name, ReadOnlySpan<byte> bytes) => new(name, bytes.ToArray(), null, null, null);

    /// <summary>A numeric claim.</summary>
    public static Claim Of(string name, ulong number) => new(name, null, number, null, null);

    /// <summary>A text claim.</summary>
    public static Claim Of(string name, string text) => new(name, null, null, text, null);

    /// <summary>A group of claims.</summary>
    public static Claim Group(string name, IReadOnlyList<Claim> items) => new(name, null, null, null, items);

    /// <summary>The value as text: lower-case hex for bytes, decimal for numbers, the text itself, or the group's size.</summary>
    public string Display => Bytes is not null ? Convert.ToHexStringLower(Bytes)
        : Number is { } n ? n.ToString(System.Globalization.CultureInfo.InvariantCulture)
        : Text ?? $"{Items?.Count ?? 0} items";

    /// <inheritdoc />
    public override string ToString() => $"{Name}={Display}";
}
