using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Carapace.Kms.Client.Api;

/// <summary>
/// Encrypts a release to the enclave's attested key (ECIES): an ephemeral P-256 ECDH key agrees a secret with the
/// enclave's certificate key; HKDF-SHA256 (no salt) turns it into an AES-256-GCM key with info
/// <c>"carapace/kms/release/v1" ‖ ephemeral SubjectPublicKeyInfo ‖ enclave SubjectPublicKeyInfo</c> (DER); the
/// associated data is <c>u16 len ‖ namespace ‖ u16 len ‖ function</c> (UTF-8, big-endian lengths), so a sealed release
/// cannot be replayed as another function's. Only the holder of the enclave's private key can open it.
/// </summary>
internal static class ReleaseSealing
{
    public const int NonceSize = 12;
    public const int TagSize = 16;
    private static readonly byte[] s_label = Encoding.ASCII.GetBytes("carapace/kms/release/v1");

    /// <summary>Seals <paramref name="plaintext"/> for the holder of <paramref name="enclaveKey"/> (a P-256 SubjectPublicKeyInfo).</summary>
    /// <exception cref="CryptographicException">The key is not a P-256 public key.</exception>
    public static ReleaseResponse Seal(ReadOnlySpan<byte> enclaveKey, string ns, string function, ReadOnlySpan<byte> plaintext)
    {
        using var recipient = Ecies.ImportP256(enclaveKey);
        using var ephemeral = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        var ephemeralKey = ephemeral.ExportSubjectPublicKeyInfo();
        var key = Ecies.DeriveKey(ephemeral, recipient.PublicKey, s_label, ephemeralKey, enclaveKey);
        try
        {
            var nonce = RandomNumberGenerator.GetBytes(NonceSize);
            var sealedBytes = new byte[plaintext.Length + TagSize];
            using var aes = new AesGcm(key, TagSize);
            aes.Encrypt(nonce, plaintext, sealedBytes.AsSpan(0, plaintext.Length), sealedBytes.AsSpan(plaintext.Length), AssociatedData(ns, function));
            return new ReleaseResponse(Convert.ToBase64String(ephemeralKey), Convert.ToBase64String(nonce), Convert.ToBase64String(sealedBytes));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    /// <summary>Opens a sealed release with the enclave's private key. The caller zeroes the result.</summary>
    /// <exception cref="CryptographicException">The release was not sealed for this key, namespace and function, or was altered.</exception>
    /// <exception cref="FormatException">A field is not base64.</exception>
    public static byte[] Open(ECDiffieHellman enclave, string ns, string function, ReleaseResponse sealedRelease)
    {
        var ephemeralKey = Convert.FromBase64String(sealedRelease.EphemeralKey ?? "");
        var nonce = Convert.FromBase64String(sealedRelease.Nonce ?? "");
        var sealedBytes = Convert.FromBase64String(sealedRelease.Ciphertext ?? "");
        if (nonce.Length != NonceSize || sealedBytes.Length < TagSize)
        {
            throw new CryptographicException("the sealed release has a nonce or ciphertext of the wrong length");
        }

        using var sender = Ecies.ImportP256(ephemeralKey);
        var key = Ecies.DeriveKey(enclave, sender.PublicKey, s_label, ephemeralKey, enclave.ExportSubjectPublicKeyInfo());
        var plaintext = new byte[sealedBytes.Length - TagSize];
        try
        {
            using var aes = new AesGcm(key, TagSize);
            aes.Decrypt(nonce, sealedBytes.AsSpan(0, plaintext.Length), sealedBytes.AsSpan(plaintext.Length), plaintext, AssociatedData(ns, function));
            return plaintext;
        }
        catch
        {
            CryptographicOperations.ZeroMemory(plaintext);
            throw;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }


    private static byte[] AssociatedData(string ns, string function)
    {
        var nsBytes = Encoding.UTF8.GetBytes(ns);
        var fnBytes = Encoding.UTF8.GetBytes(function);
        var aad = new byte[2 + nsBytes.Length + 2 + fnBytes.Length];
        BinaryPrimitives.WriteUInt16BigEndian(aad, (ushort)nsBytes.Length);
        nsBytes.CopyTo(aad, 2);
        BinaryPrimitives.WriteUInt16BigEndian(aad.AsSpan(2 + nsBytes.Length), (ushort)fnBytes.Length);
        fnBytes.CopyTo(aad, 4 + nsBytes.Length);
        return aad;
    }
}
