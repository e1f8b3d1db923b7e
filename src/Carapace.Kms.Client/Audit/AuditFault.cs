namespace Carapace.Kms.Client.Audit;

/// <summary>How the audit log was found damaged.</summary>
public enum AuditFault
{
    /// <summary>A record's content does not hash to its stored hash: it was edited.</summary>
    HashMismatch,

    /// <summary>A record does not name the hash of the record before it: records were replaced or reordered.</summary>
    BrokenLink,

    /// <summary>A sequence number is missing: records were deleted from the middle.</summary>
    SequenceGap,

    /// <summary>The log ends before the anchor: records were deleted from the end.</summary>
    Truncated,

    /// <summary>The anchor is missing, forged, or disagrees with the log.</summary>
    AnchorMismatch,

    /// <summary>A stored column has the wrong type or length.</summary>
    Malformed,
}
