using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Carapace.Envelope.Keys;

/// <summary>
/// The public fingerprint of a symmetric key: the first 8 bytes of HMAC-SHA256(key, "carapace key id v1"), shown
/// as 16 lower-case hex digits. It identifies a key without revealing anything about its bytes.
/// </summary>
public readonly record struct KeyId
{
    private static readonly byte[] s_label = Encoding.ASCII.GetBytes("carapace key id v1");

    private KeyId(ulong value) => Value = value;

    /// <summary>The fingerprint as a number.</summary>
    public ulong Value { get; }

    /// <summary>Computes the id of the given key bytes.</summary>
    public static KeyId Of(ReadOnlySpan<byte> key)
    {
        Span<byte> mac = stackalloc byte[HMACSHA256.HashSizeInBytes];
        HMACSHA256.HashData(key, s_label, mac);
        var id = new KeyId(System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(mac));
        CryptographicOperations.ZeroMemory(mac);
        return id;
    }

    /// <summary>Parses the 16-hex-digit form.</summary>
    public static bool TryParse(string? text, out KeyId id)
    {
        id = default;
        if (text is null || text.Length != 16 || !ulong.TryParse(text, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var v))
        {
            return false;
        }

        id = new KeyId(v);
        return true;
    }

    /// <summary>The 16 lower-case hex digits.</summary>
    public override string ToString() => Value.ToString("x16", CultureInfo.InvariantCulture);
}
