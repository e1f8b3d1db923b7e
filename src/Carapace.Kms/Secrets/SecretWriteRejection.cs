namespace Carapace.Kms.Secrets;

/// <summary>Why the KMS did not apply a secret write.</summary>
public enum SecretWriteRejection
{
    /// <summary>The document is not well-formed, or its sealed value is not the one the write names.</summary>
    Malformed,

    /// <summary>The document names another namespace, secret or operation than the request it came with.</summary>
    Mismatch,

    /// <summary>The namespace has no policy.</summary>
    UnknownNamespace,

    /// <summary>A put of a secret the namespace's current policy does not declare.</summary>
    UnknownSecret,

    /// <summary>A delete of a secret that has no stored value.</summary>
    NoValue,

    /// <summary>The approvals expired, or claim to hold for longer than <see cref="SecretWrite.MaxLifetime"/>.</summary>
    Expired,

    /// <summary>The write is not the secret's next one: it was applied already (a replay), or another write came first.</summary>
    StaleVersion,

    /// <summary>Too few valid signatures by owners of the namespace's current policy.</summary>
    InsufficientApprovals,

    /// <summary>The sealed value does not open with this KMS's key (sealed to another KMS, or for another write), or its value is empty.</summary>
    Unsealable,
}
