namespace Carapace.Kms.Client.Audit;

/// <summary>One record of the audit log. Records never contain secret values or key bytes.</summary>
/// <param name="Seq">The position in the log, from 1 without gaps.</param>
/// <param name="Time">When the record was written (from the KMS's TimeProvider).</param>
/// <param name="Kind">What it reports.</param>
/// <param name="Namespace">The namespace concerned (empty when a rejected document named none).</param>
/// <param name="Subject">The function, secret or policy version concerned.</param>
/// <param name="Details">A JSON object: measurement, evidence kind, reason, versions, key fingerprints.</param>
/// <param name="PreviousHash">The hash of the record before (32 zero bytes for the first).</param>
/// <param name="Hash">SHA-256 over the canonical encoding of all the fields above.</param>
public sealed record AuditRecord(
    long Seq,
    DateTimeOffset Time,
    AuditKind Kind,
    string Namespace,
    string Subject,
    string Details,
    ReadOnlyMemory<byte> PreviousHash,
    ReadOnlyMemory<byte> Hash);
