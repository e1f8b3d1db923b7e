namespace Carapace.Attestation;

/// <summary>What a verifier checks evidence against: the time, the trusted roots, collateral and expected binding.</summary>
public sealed class VerificationOptions
{
    /// <summary>
    /// The verification time for every certificate and collateral validity check. Null means "now" from
    /// <see cref="TimeProvider"/>.
    /// </summary>
    public DateTimeOffset? At { get; init; }

    /// <summary>The clock used when <see cref="At"/> is null.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>The roots chains must end in. Defaults to the vendor roots built into Carapace, pinned by fingerprint.</summary>
    public TrustAnchors Roots { get; init; } = TrustAnchors.BuiltIn;

    /// <summary>Intel DCAP collateral (TCB info, QE identity, CRLs). Without it, TCB status is <see cref="TcbStatus.Unknown"/>.</summary>
    public DcapCollateral? DcapCollateral { get; init; }

    /// <summary>AMD SEV-SNP collateral: the VCEK (and optionally ASK/ARK) for the reporting chip.</summary>
    public SnpCollateral? SnpCollateral { get; init; }

    /// <summary>When set, evidence must bind exactly these report data bytes (compared in constant time).</summary>
    public ReadOnlyMemory<byte>? ExpectedReportData { get; init; }

    /// <summary>
    /// The simulation quoting keys (DER SubjectPublicKeyInfo) whose simulation evidence is accepted. Empty by default,
    /// so simulation evidence, which proves nothing about hardware, is rejected unless the caller opts in
    /// (<c>allowSimulation</c>) by naming the key it trusts.
    /// </summary>
    public IReadOnlyList<ReadOnlyMemory<byte>> SimulationQuotingKeys { get; init; } = [];

    /// <summary>The effective verification time.</summary>
    public DateTimeOffset Now => At ?? TimeProvider.GetUtcNow();
}
