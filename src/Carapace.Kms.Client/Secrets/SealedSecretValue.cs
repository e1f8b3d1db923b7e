using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Carapace.Kms.Client.Api;

namespace Carapace.Kms.Client.Secrets;

/// <summary>
/// A secret value sealed to the KMS's secret-sealing key (ECIES, as <see cref="Api.ReleaseSealing"/> but towards the
/// KMS): an ephemeral P-256 ECDH key agrees a secret with the KMS's key; HKDF-SHA256 (no salt) turns it into an
/// AES-256-GCM key with info <c>"carapace/kms/sealed-secret/v1" ‖ ephemeral SubjectPublicKeyInfo ‖ KMS
/// SubjectPublicKeyInfo</c>; the associated data is <c>u16 len ‖ namespace ‖ u16 len ‖ secret ‖ u64 version</c>
/// (UTF-8, big-endian), so a sealed value opens only as the write it was sealed for. Only the KMS can open it, so a
/// write request carrying it can travel between owners, be stored and be submitted by anyone without exposing the value.
/// </summary>
public sealed record SealedSecretValue
{
    /// <summary>The AES-GCM nonce length.</summary>
    public const int NonceSize = 12;

    /// <summary>The AES-GCM tag length.</summary>
    public const int TagSize = 16;

    private static readonly byte[] s_keyLabel = Encoding.ASCII.GetBytes("carapace/kms/sealed-secret/v1");
    private static readonly byte[] s_hashLabel = Encoding.ASCII.GetBytes("carapace/kms/sealed-secret-hash/v1");

    /// <summary>Lower-case hex SHA-256 of the KMS sealing key's SubjectPublicKeyInfo the value is sealed to.</summary>
    public required string KmsKey { get; init; }

    /// <summary>The ephemeral P-256 public key (DER SubjectPublicKeyInfo).</summary>
    public required ReadOnlyMemory<byte> EphemeralKey { get; init; }

    /// <summary>The AES-GCM nonce.</summary>
    public required ReadOnlyMemory<byte> Nonce { get; init; }

    /// <summary>The ciphertext followed by the 16-byte tag.</summary>
    public required ReadOnlyMemory<byte> Ciphertext { get; init; }

    /// <summary>The fingerprint <see cref="KmsKey"/> names a sealing key by.</summary>
    public static string FingerprintOf(ReadOnlySpan<byte> kmsPublicKey) => Convert.ToHexStringLower(SHA256.HashData(kmsPublicKey));

    /// <summary>Seals <paramref name="value"/> to the KMS key <paramref name="kmsPublicKey"/> (a P-256 SubjectPublicKeyInfo) for one write.</summary>
    /// <exception cref="CryptographicException">The key is not a P-256 public key.</exception>
    public static SealedSecretValue Seal(ReadOnlySpan<byte> kmsPublicKey, string ns, string secret, long version, ReadOnlySpan<byte> value)
    {
        ArgumentNullException.ThrowIfNull(ns);
        ArgumentNullException.ThrowIfNull(secret);
        using var recipient = Ecies.ImportP256(kmsPublicKey);
        using var ephemeral = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        var ephemeralKey = ephemeral.ExportSubjectPublicKeyInfo();
        var key = Ecies.DeriveKey(ephemeral, recipient.PublicKey, s_keyLabel, ephemeralKey, kmsPublicKey);
        try
        {
            var nonce = RandomNumberGenerator.GetBytes(NonceSize);
            var sealedBytes = new byte[value.Length + TagSize];
            using var aes = new AesGcm(key, TagSize);
            aes.Encrypt(nonce, value, sealedBytes.AsSpan(0, value.Length), sealedBytes.AsSpan(value.Length), AssociatedData(ns, secret, version));
            return new SealedSecretValue { KmsKey = FingerprintOf(kmsPublicKey), EphemeralKey = ephemeralKey, Nonce = nonce, Ciphertext = sealedBytes };
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    /// <summary>
    /// Opens the value with the KMS's private sealing key. The caller zeroes the result.
    /// </summary>
    /// <exception cref="CryptographicException">It was not sealed to this key for this namespace, secret and version, or was altered.</exception>
    internal byte[] Open(ECDiffieHellman kmsKey, string ns, string secret, long version)
    {
        if (Nonce.Length != NonceSize || Ciphertext.Length < TagSize)
        {
            throw new CryptographicException("the sealed value has a nonce or ciphertext of the wrong length");
        }

        using var sender = Ecies.ImportP256(EphemeralKey.Span);
        var key = Ecies.DeriveKey(kmsKey, sender.PublicKey, s_keyLabel, EphemeralKey.Span, kmsKey.ExportSubjectPublicKeyInfo());
        var plaintext = new byte[Ciphertext.Length - TagSize];
        try
        {
            using var aes = new AesGcm(key, TagSize);
            aes.Decrypt(Nonce.Span, Ciphertext.Span[..plaintext.Length], Ciphertext.Span[plaintext.Length..], plaintext, AssociatedData(ns, secret, version));
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

    /// <summary>
    /// Lower-case hex SHA-256 over <c>"carapace/kms/sealed-secret-hash/v1"</c> and the four fields, each preceded by its
    /// length (u32, big-endian; <see cref="KmsKey"/> as ASCII): what a <see cref="SecretWrite"/> names and owners sign.
    /// It reveals nothing about the value, even a guessable one: the ciphertext is under a fresh key.
    /// </summary>
    public string Sha256()
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(s_hashLabel);
        Append(hash, Encoding.ASCII.GetBytes(KmsKey));
        Append(hash, EphemeralKey.Span);
        Append(hash, Nonce.Span);
        Append(hash, Ciphertext.Span);
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>Describes the sealed value without its bytes.</summary>
    public override string ToString() => $"value sealed to KMS key {KmsKey[..Math.Min(16, KmsKey.Length)]}… ({Math.Max(0, Ciphertext.Length - TagSize)} bytes)";

    private static void Append(IncrementalHash hash, ReadOnlySpan<byte> field)
    {
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(length, (uint)field.Length);
        hash.AppendData(length);
        hash.AppendData(field);
    }


    private static byte[] AssociatedData(string ns, string secret, long version)
    {
        var nsBytes = Encoding.UTF8.GetBytes(ns);
        var nameBytes = Encoding.UTF8.GetBytes(secret);
        var aad = new byte[2 + nsBytes.Length + 2 + nameBytes.Length + 8];
        BinaryPrimitives.WriteUInt16BigEndian(aad, (ushort)nsBytes.Length);
        nsBytes.CopyTo(aad, 2);
        BinaryPrimitives.WriteUInt16BigEndian(aad.AsSpan(2 + nsBytes.Length), (ushort)nameBytes.Length);
        nameBytes.CopyTo(aad, 4 + nsBytes.Length);
        BinaryPrimitives.WriteInt64BigEndian(aad.AsSpan(4 + nsBytes.Length + nameBytes.Length), version);
        return aad;
    }
}
