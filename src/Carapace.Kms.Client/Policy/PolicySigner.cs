namespace Carapace.Kms.Client.Policy;

/// <summary>
/// Produces signed policy documents. Owners sign one after another: the first calls <see cref="Sign(string, string, OwnerKey)"/>,
/// each further owner <see cref="AddSignature(SignedPolicy, string, OwnerKey)"/> on the document it was handed, until
/// enough owners (the current policy's <c>approvals</c>) have signed.
/// </summary>
public static class PolicySigner
{
    /// <summary>A new document for <paramref name="policyText"/> carrying one signature by <paramref name="ownerId"/>.</summary>
    public static SignedPolicy Sign(string policyText, string ownerId, OwnerKey key)
    {
        ArgumentNullException.ThrowIfNull(policyText);
        return AddSignature(new SignedPolicy { PolicyText = policyText }, ownerId, key);
    }

    /// <summary>Like <see cref="Sign(string, string, OwnerKey)"/> with the key loaded from <paramref name="keyFile"/>.</summary>
    /// <exception cref="KmsKeyFileException">The key file cannot be loaded.</exception>
    public static SignedPolicy Sign(string policyText, string ownerId, string keyFile)
    {
        using var key = OwnerKey.Load(keyFile);
        return Sign(policyText, ownerId, key);
    }

    /// <summary>
    /// The document with <paramref name="ownerId"/>'s signature added (replacing an earlier one by the same owner);
    /// the policy text is unchanged.
    /// </summary>
    public static SignedPolicy AddSignature(SignedPolicy document, string ownerId, OwnerKey key)
    {
        ArgumentNullException.ThrowIfNull(document);
        ArgumentException.ThrowIfNullOrEmpty(ownerId);
        ArgumentNullException.ThrowIfNull(key);
        var signature = Convert.ToBase64String(key.Sign(document.SignedBytes()));
        var signatures = document.Signatures.Where(s => s.Owner != ownerId).Append(new PolicySignature(ownerId, signature)).ToList();
        return document with { Signatures = signatures };
    }

    /// <summary>Like <see cref="AddSignature(SignedPolicy, string, OwnerKey)"/> with the key loaded from <paramref name="keyFile"/>.</summary>
    /// <exception cref="KmsKeyFileException">The key file cannot be loaded.</exception>
    public static SignedPolicy AddSignature(SignedPolicy document, string ownerId, string keyFile)
    {
        using var key = OwnerKey.Load(keyFile);
        return AddSignature(document, ownerId, key);
    }
}
