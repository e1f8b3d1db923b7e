namespace Carapace.Kms.Client.Policy;

/// <summary>Why a policy (or a signed policy document) was not accepted.</summary>
public enum PolicyRejection
{
    /// <summary>Not well-formed: not JSON, unknown or duplicate fields, wrong types, missing fields.</summary>
    Malformed,

    /// <summary>Well-formed but inconsistent: unknown references, bad lengths, duplicates, impossible approvals.</summary>
    Invalid,

    /// <summary>Not newer than the namespace's current policy (a rollback or a replay of an accepted one).</summary>
    Rollback,

    /// <summary>Too few valid signatures from the owners whose approval is required.</summary>
    InsufficientApprovals,

    /// <summary>A stored policy failed its integrity check: the KMS database was modified outside the KMS.</summary>
    Tampered,
}
