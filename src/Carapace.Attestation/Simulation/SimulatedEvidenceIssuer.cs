namespace Carapace.Attestation.Simulation;

/// <summary>
/// SIMULATION ONLY — issues <c>sim</c> evidence: the enclave measurement and report data signed by a
/// <see cref="SimulatedQuotingService"/>. Like SGX simulation mode it runs anywhere and protects nothing; verifiers
/// mark every result <see cref="AttestationResult.Insecure"/>. The layout is documented on the verifier,
/// <see cref="SimulatedEvidenceVerifier"/>.
/// </summary>
public sealed class SimulatedEvidenceIssuer : IEvidenceIssuer
{
    /// <summary>The size of the measurement: the 32-byte Carapace function measurement.</summary>
    public const int MeasurementSize = SimulatedEvidence.MeasurementSize;

    private readonly SimulatedQuotingService _service;
    private readonly byte[] _measurement;
    private readonly TimeProvider _time;

    /// <summary>Creates an issuer for the enclave whose Carapace measurement is <paramref name="measurement"/> (32 bytes).</summary>
    /// <param name="service">The quoting key that signs the evidence.</param>
    /// <param name="measurement">The enclave measurement, exactly 32 bytes.</param>
    /// <param name="timeProvider">The clock for <c>issuedAt</c>; the system clock by default.</param>
    public SimulatedEvidenceIssuer(SimulatedQuotingService service, ReadOnlyMemory<byte> measurement, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(service);
        if (measurement.Length != MeasurementSize)
        {
            throw new ArgumentException($"the measurement must be {MeasurementSize} bytes, not {measurement.Length}", nameof(measurement));
        }

        _service = service;
        _measurement = measurement.ToArray();
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <inheritdoc />
    public EvidenceKind Kind => EvidenceKind.Simulation;

    /// <inheritdoc />
    public ValueTask<Evidence> IssueAsync(ReadOnlyMemory<byte> reportData, CancellationToken cancellationToken = default)
    {
        if (reportData.Length != ReportData.Size)
        {
            throw new ArgumentException($"report data must be {ReportData.Size} bytes, not {reportData.Length}", nameof(reportData));
        }

        cancellationToken.ThrowIfCancellationRequested();
        var issuedAt = _time.GetUtcNow().ToUnixTimeMilliseconds();
        var signed = SimulatedEvidence.EncodeSigned(_measurement, reportData.Span, (ulong)Math.Max(0, issuedAt), _service.PublicKey.Span);
        var signature = _service.Sign(signed);
        var evidence = new byte[signed.Length + signature.Length];
        signed.CopyTo(evidence, 0);
        signature.CopyTo(evidence, signed.Length);
        return ValueTask.FromResult(new Evidence(EvidenceKind.Simulation, evidence));
    }
}
