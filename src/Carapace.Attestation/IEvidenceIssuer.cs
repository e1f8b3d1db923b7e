namespace Carapace.Attestation;

/// <summary>Produces evidence that binds 64 bytes of report data to the running enclave's identity.</summary>
public interface IEvidenceIssuer
{
    /// <summary>The kind of evidence this issuer produces.</summary>
    EvidenceKind Kind { get; }

    /// <summary>
    /// Issues evidence over <paramref name="reportData"/> (exactly <see cref="ReportData.Size"/> bytes).
    /// Throws <see cref="AttestationException"/> when the platform cannot (e.g. <see cref="AttestationFailureReason.NoHardware"/>).
    /// </summary>
    ValueTask<Evidence> IssueAsync(ReadOnlyMemory<byte> reportData, CancellationToken cancellationToken = default);
}
