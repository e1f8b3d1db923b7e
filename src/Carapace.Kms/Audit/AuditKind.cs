namespace Carapace.Kms.Audit;

/// <summary>What an audit record reports.</summary>
public enum AuditKind
{
    /// <summary>A new policy version was accepted.</summary>
    PolicyUpdated,

    /// <summary>A policy update was rejected (malformed, invalid, rollback, too few approvals).</summary>
    PolicyRejected,

    /// <summary>Secrets and keys were released to attested code.</summary>
    KeyReleased,

    /// <summary>A release was denied.</summary>
    ReleaseDenied,

    /// <summary>A secret value was stored, with the owners who approved it (the value itself is never logged).</summary>
    SecretPut,

    /// <summary>A secret was deleted, with the owners who approved it.</summary>
    SecretDeleted,

    /// <summary>The client-side edge keys of a chain were released to a client of the namespace (key fingerprints only).</summary>
    ClientKeysReleased,

    /// <summary>A client's request for a chain's edge keys was denied.</summary>
    ClientKeysDenied,

    /// <summary>A secret write (put or delete) was refused: too few approvals, a replay, expired, malformed… (never with a value).</summary>
    SecretWriteRejected,
}
