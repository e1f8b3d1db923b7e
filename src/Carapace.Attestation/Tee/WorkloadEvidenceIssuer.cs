namespace Carapace.Attestation.Tee;

/// <summary>
/// Issues hardware evidence (TDX, SEV-SNP) on behalf of one workload inside the confidential VM: the report data
/// asked for are wrapped with <see cref="WorkloadBinding.Bind"/> around the workload's measurement before the hardware
/// signs them, so the evidence says which Carapace code asked and what it bound.
/// </summary>
public sealed class WorkloadEvidenceIssuer : IEvidenceIssuer
{
    private readonly IEvidenceIssuer _hardware;
    private readonly byte[] _workload;

    /// <summary>Creates an issuer for <paramref name="workload"/> (32 bytes) over <paramref name="hardware"/>.</summary>
    public WorkloadEvidenceIssuer(IEvidenceIssuer hardware, ReadOnlyMemory<byte> workload)
    {
        ArgumentNullException.ThrowIfNull(hardware);
        if (workload.Length != WorkloadBinding.WorkloadSize)
        {
            throw new ArgumentException($"a workload measurement is {WorkloadBinding.WorkloadSize} bytes, not {workload.Length}", nameof(workload));
        }

        _hardware = hardware;
        _workload = workload.ToArray();
    }

    /// <inheritdoc />
    public EvidenceKind Kind => _hardware.Kind;

    /// <inheritdoc />
    public ValueTask<Evidence> IssueAsync(ReadOnlyMemory<byte> reportData, CancellationToken cancellationToken = default)
    {
        if (reportData.Length != ReportData.Size)
        {
            throw new ArgumentException($"report data must be {ReportData.Size} bytes, not {reportData.Length}", nameof(reportData));
        }

        return _hardware.IssueAsync(WorkloadBinding.Bind(_workload, reportData.Span), cancellationToken);
    }
}
