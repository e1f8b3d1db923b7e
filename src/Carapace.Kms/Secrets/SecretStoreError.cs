namespace Carapace.Kms.Secrets;

/// <summary>Why the secret store refused to read.</summary>
public enum SecretStoreError
{
    /// <summary>The store was created under another KMS master key; this key cannot decrypt it.</summary>
    WrongMasterKey,

    /// <summary>A stored value failed authentication: its row was modified, moved or damaged outside the KMS.</summary>
    Tampered,
}
