using System.Security.Cryptography;

namespace Carapace.Kms.Client.Api;

/// <summary>
/// The two steps every Carapace ECIES seal shares (<see cref="ReleaseSealing"/> towards an enclave,
/// <see cref="Secrets.SealedSecretValue"/> towards the KMS): importing the recipient's or sender's P-256 key, and
/// deriving the AES-256-GCM key with HKDF-SHA256 (no salt) from the ECDH secret, with info
/// <c>label ‖ ephemeral SubjectPublicKeyInfo ‖ recipient SubjectPublicKeyInfo</c>. Each caller has its own label, so a
/// key derived for one purpose never opens the other's ciphertext. The raw ECDH secret is zeroed once used.
/// </summary>
internal static class Ecies
{
    private const string P256Oid = "1.2.840.10045.3.1.7";

    /// <summary>The 32-byte AES key for the pair; the caller zeroes it.</summary>
    public static byte[] DeriveKey(ECDiffieHellman own, ECDiffieHellmanPublicKey peer, ReadOnlySpan<byte> label, ReadOnlySpan<byte> ephemeralKey,
        ReadOnlySpan<byte> recipientKey)
    {
        var shared = own.DeriveRawSecretAgreement(peer);
        var info = new byte[label.Length + ephemeralKey.Length + recipientKey.Length];
        label.CopyTo(info);
        ephemeralKey.CopyTo(info.AsSpan(label.Length));
        recipientKey.CopyTo(info.AsSpan(label.Length + ephemeralKey.Length));
        try
        {
            return HKDF.DeriveKey(HashAlgorithmName.SHA256, shared, 32, salt: [], info);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(shared);
        }
    }

    /// <summary>The P-256 key in <paramref name="subjectPublicKeyInfo"/>.</summary>
    /// <exception cref="CryptographicException">It is not exactly a P-256 SubjectPublicKeyInfo (trailing bytes, another or an unknown curve).</exception>
    public static ECDiffieHellman ImportP256(ReadOnlySpan<byte> subjectPublicKeyInfo)
    {
        var key = ECDiffieHellman.Create();
        try
        {
            key.ImportSubjectPublicKeyInfo(subjectPublicKeyInfo, out var read);
            if (read != subjectPublicKeyInfo.Length || key.ExportParameters(false).Curve.Oid?.Value != P256Oid)
            {
                throw new CryptographicException("the key is not a P-256 SubjectPublicKeyInfo");
            }

            return key;
        }
        catch (PlatformNotSupportedException)
        {
            // An EC key naming a curve OpenSSL does not know is as wrong as any other non-P-256 key.
            key.Dispose();
            throw new CryptographicException("the key is not a P-256 SubjectPublicKeyInfo");
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }
}
