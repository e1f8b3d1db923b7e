using System.Buffers.Binary;

namespace Carapace.Envelope.Format;

/// <summary>
/// A request id: 16 random bytes chosen by the client, kept by every envelope of one request as it travels a
/// chain. Receivers use it to refuse replays; the controller uses it for idempotent retries.
/// </summary>
public readonly record struct RequestId
{
    /// <summary>Length in bytes.</summary>
    public const int Size = 16;

    private readonly UInt128 _value;

    private RequestId(UInt128 value) => _value = value;

    /// <summary>A fresh random request id (from the operating system's CSPRNG).</summary>
    public static RequestId New()
    {
        Span<byte> bytes = stackalloc byte[Size];
        PublicRandom.Fill(bytes);
        return FromBytes(bytes);
    }

    /// <summary>Reads 16 bytes.</summary>
    public static RequestId FromBytes(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != Size)
        {
            throw new ArgumentException($"a request id is {Size} bytes, not {bytes.Length}", nameof(bytes));
        }

        return new RequestId(BinaryPrimitives.ReadUInt128BigEndian(bytes));
    }

    /// <summary>Parses 32 hex digits.</summary>
    public static bool TryParse(string? hex, out RequestId id)
    {
        id = default;
        if (hex is null || hex.Length != Size * 2)
        {
            return false;
        }

        Span<byte> bytes = stackalloc byte[Size];
        if (Convert.FromHexString(hex, bytes, out _, out var written) != System.Buffers.OperationStatus.Done || written != Size)
        {
            return false;
        }

        id = FromBytes(bytes);
        return true;
    }

    /// <summary>Writes the 16 bytes to <paramref name="destination"/>.</summary>
    public void WriteTo(Span<byte> destination) => BinaryPrimitives.WriteUInt128BigEndian(destination, _value);

    /// <summary>32 lower-case hex digits.</summary>
    public override string ToString()
    {
        Span<byte> bytes = stackalloc byte[Size];
        WriteTo(bytes);
        return Convert.ToHexStringLower(bytes);
    }
}
