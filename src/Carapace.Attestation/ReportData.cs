using System.Security.Cryptography;

namespace Carapace.Attestation;

/// <summary>
/// The 64 bytes an enclave binds into its evidence. Carapace's convention: SHA-256 of the enclave's public key
/// (DER SubjectPublicKeyInfo) followed by SHA-256 of the verifier's nonce, so evidence proves both which key the
/// enclave holds and that it is fresh.
/// </summary>
public static class ReportData
{
    /// <summary>The size of report data in bytes.</summary>
    public const int Size = 64;

    /// <summary>Builds report data binding <paramref name="publicKey"/> and <paramref name="nonce"/>.</summary>
    public static byte[] Bind(ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> nonce)
    {
        var data = new byte[Size];
        SHA256.HashData(publicKey, data.AsSpan(0, 32));
        SHA256.HashData(nonce, data.AsSpan(32, 32));
        return data;
    }

    /// <summary>Compares two report data values in constant time.</summary>
    public static bool Matches(ReadOnlySpan<byte> actual, ReadOnlySpan<byte> expected) =>
        CryptographicOperations.FixedTimeEquals(actual, expected);
}
