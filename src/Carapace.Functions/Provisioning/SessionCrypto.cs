using System.Security.Cryptography;
using System.Text;

namespace Carapace.Functions.Provisioning;

/// <summary>
/// The session between an enclave and whoever provisions it: ECDH P-256 between the enclave's fresh key pair and
/// the provisioner's ephemeral one; session key = HKDF-SHA256(IKM = shared secret, info = label ‖ enclave public key
/// ‖ provisioner public key), so the key is bound to both public keys. Messages are
/// <c>nonce[12] ‖ AES-256-GCM ciphertext ‖ tag[16]</c> with a purpose label as associated data, so a provisioning
/// message can never be replayed as a confirmation or the other way round.
/// </summary>
internal static class SessionCrypto
{
    public const int PublicKeySize = 65;
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private static readonly byte[] s_label = Encoding.ASCII.GetBytes("carapace enclave session v1");

    public static byte[] ExportPublicKey(ECDiffieHellman key)
    {
        var p = key.ExportParameters(includePrivateParameters: false).Q;
        var result = new byte[PublicKeySize];
        result[0] = 0x04;
        p.X!.CopyTo(result, 1);
        p.Y!.CopyTo(result, 33);
        return result;
    }

    /// <summary>Imports a SEC1 uncompressed P-256 point; throws <see cref="CryptographicException"/> if it is not one on the curve.</summary>
    public static ECDiffieHellman ImportPublicKey(ReadOnlySpan<byte> point)
    {
        if (point.Length != PublicKeySize || point[0] != 0x04)
        {
            throw new CryptographicException("a session public key is a 65-byte uncompressed P-256 point");
        }

        var parameters = new ECParameters
        {
            Curve = ECCurve.NamedCurves.nistP256,
            Q = new ECPoint { X = point[1..33].ToArray(), Y = point[33..].ToArray() },
        };
        parameters.Validate();
        return ECDiffieHellman.Create(parameters);
    }

    public static byte[] DeriveKey(ECDiffieHellman own, ReadOnlySpan<byte> peerPublic, ReadOnlySpan<byte> enclavePublic, ReadOnlySpan<byte> provisionerPublic)
    {
        using var peer = ImportPublicKey(peerPublic);
        var shared = own.DeriveRawSecretAgreement(peer.PublicKey);
        var info = new byte[s_label.Length + (2 * PublicKeySize)];
        s_label.CopyTo(info, 0);
        enclavePublic.CopyTo(info.AsSpan(s_label.Length));
        provisionerPublic.CopyTo(info.AsSpan(s_label.Length + PublicKeySize));
        try
        {
            return HKDF.DeriveKey(HashAlgorithmName.SHA256, shared, 32, salt: [], info);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(shared);
        }
    }

    public static byte[] Seal(ReadOnlySpan<byte> key, string purpose, ReadOnlySpan<byte> plaintext)
    {
        var output = new byte[NonceSize + plaintext.Length + TagSize];
        RandomNumberGenerator.Fill(output.AsSpan(0, NonceSize));
        using var aes = new AesGcm(key, TagSize);
        aes.Encrypt(output.AsSpan(0, NonceSize), plaintext, output.AsSpan(NonceSize, plaintext.Length), output.AsSpan(NonceSize + plaintext.Length), Encoding.ASCII.GetBytes(purpose));
        return output;
    }

    /// <summary>Opens a sealed session message; false if it does not authenticate. The caller zeroes the result.</summary>
    public static bool TryOpen(ReadOnlySpan<byte> key, string purpose, ReadOnlySpan<byte> sealedMessage, out byte[] plaintext)
    {
        plaintext = [];
        if (sealedMessage.Length < NonceSize + TagSize)
        {
            return false;
        }

        var length = sealedMessage.Length - NonceSize - TagSize;
        var output = GC.AllocateUninitializedArray<byte>(length, pinned: true);
        using var aes = new AesGcm(key, TagSize);
        try
        {
            aes.Decrypt(sealedMessage[..NonceSize], sealedMessage.Slice(NonceSize, length), sealedMessage[^TagSize..], output, Encoding.ASCII.GetBytes(purpose));
        }
        catch (AuthenticationTagMismatchException)
        {
            return false;
        }

        plaintext = output;
        return true;
    }
}
