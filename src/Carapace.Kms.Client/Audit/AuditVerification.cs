namespace Carapace.Kms.Client.Audit;

/// <summary>The outcome of verifying the KMS's audit log (<c>AuditLog.Verify</c>): intact, or the first bad record and why.</summary>
public sealed record AuditVerification
{
    /// <summary>True when every check passed.</summary>
    public bool IsIntact => Fault is null;

    /// <summary>How many records were checked.</summary>
    public required long Records { get; init; }

    /// <summary>The newest record checked, or null for an empty log.</summary>
    public AuditHead? Head { get; init; }

    /// <summary>The sequence number of the first record found bad (or missing), when not intact.</summary>
    public long? FirstBadSeq { get; init; }

    /// <summary>What was wrong, when not intact.</summary>
    public AuditFault? Fault { get; init; }

    /// <summary>A sentence saying what was found.</summary>
    public required string Message { get; init; }

    /// <inheritdoc />
    public override string ToString() => Message;
}
