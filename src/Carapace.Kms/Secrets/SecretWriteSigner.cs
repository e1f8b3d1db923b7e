using Carapace.Kms.Policy;

namespace Carapace.Kms.Secrets;

/// <summary>
/// Makes and signs secret write documents. One owner proposes (<see cref="Propose"/>: the value sealed to the KMS, the
/// write naming its hash); each further owner adds a signature with <see cref="AddSignature(SignedSecretWrite, string, OwnerKey)"/>
/// on the document it was handed, until the namespace's <c>approvals</c> are reached and anyone submits it.
/// </summary>
public static class SecretWriteSigner
{
    /// <summary>
    /// A new unsigned document for write <paramref name="version"/> of secret <paramref name="secret"/>: a put of
    /// <paramref name="value"/> sealed to <paramref name="kmsSealingKey"/> (DER SubjectPublicKeyInfo, as the KMS
    /// publishes it over attested TLS), or a delete when <paramref name="value"/> is null.
    /// </summary>
    /// <exception cref="ArgumentException">A name breaks <see cref="PolicyNames"/>, the version is below 1, the value is empty
    /// or longer than <see cref="SecretWrite.MaxValueBytes"/>.</exception>
    /// <exception cref="System.Security.Cryptography.CryptographicException">For a put: <paramref name="kmsSealingKey"/> is not a P-256 public key.</exception>
    public static SignedSecretWrite Propose(string ns, string secret, long version, ReadOnlySpan<byte> kmsSealingKey, byte[]? value,
        DateTimeOffset expires)
    {
        if (!PolicyNames.IsValid(ns) || !PolicyNames.IsValid(secret))
        {
            throw new ArgumentException($"a namespace and a secret name each {PolicyNames.Rule}");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(version, 1);
        var whole = new DateTimeOffset(expires.UtcTicks - (expires.UtcTicks % TimeSpan.TicksPerSecond), TimeSpan.Zero);
        SealedSecretValue? sealedValue = null;
        if (value is not null)
        {
            if (value.Length == 0 || value.Length > SecretWrite.MaxValueBytes)
            {
                throw new ArgumentException($"a secret value is 1 to {SecretWrite.MaxValueBytes} bytes", nameof(value));
            }

            sealedValue = SealedSecretValue.Seal(kmsSealingKey, ns, secret, version, value);
        }

        return new SignedSecretWrite
        {
            Write = new SecretWrite
            {
                Namespace = ns,
                Secret = secret,
                Operation = value is null ? SecretOperation.Delete : SecretOperation.Put,
                Version = version,
                SealedValueSha256 = sealedValue?.Sha256(),
                Expires = whole,
            },
            SealedValue = sealedValue,
        };
    }

    /// <summary>The document with <paramref name="ownerId"/>'s signature added (replacing an earlier one by the same owner).</summary>
    public static SignedSecretWrite AddSignature(SignedSecretWrite document, string ownerId, OwnerKey key)
    {
        ArgumentNullException.ThrowIfNull(document);
        ArgumentException.ThrowIfNullOrEmpty(ownerId);
        ArgumentNullException.ThrowIfNull(key);
        var signature = Convert.ToBase64String(key.Sign(document.Write.SignedBytes()));
        var signatures = document.Signatures.Where(s => s.Owner != ownerId).Append(new PolicySignature(ownerId, signature)).ToList();
        return document with { Signatures = signatures };
    }

    /// <summary>Like <see cref="AddSignature(SignedSecretWrite, string, OwnerKey)"/> with the key loaded from <paramref name="keyFile"/>.</summary>
    /// <exception cref="KmsKeyFileException">The key file cannot be loaded.</exception>
    public static SignedSecretWrite AddSignature(SignedSecretWrite document, string ownerId, string keyFile)
    {
        using var key = OwnerKey.Load(keyFile);
        return AddSignature(document, ownerId, key);
    }
}
