namespace Carapace.Attestation.Tee;

/// <summary>
/// What hardware evidence is checked against, beside the evidence itself: the vendor roots its chain must end in (the
/// roots built into Carapace unless a test PKI is named explicitly) and the collateral that says how current a platform
/// is (Intel's TCB info and QE identity for TDX; a VCEK for SEV-SNP reports that do not carry theirs).
/// </summary>
public sealed class EvidenceTrust
{
    /// <summary>The built-in roots and no collateral.</summary>
    public static EvidenceTrust Default { get; } = new();

    /// <summary>The roots evidence chains must end in. Default: the vendor roots built into Carapace, pinned by fingerprint.</summary>
    public TrustAnchors Roots { get; init; } = TrustAnchors.BuiltIn;

    /// <summary>Intel DCAP collateral for TDX (and SGX) quotes; without it their TCB status is <see cref="TcbStatus.Unknown"/>.</summary>
    public DcapCollateral? DcapCollateral { get; init; }

    /// <summary>A VCEK for SEV-SNP reports that carry no certificate table.</summary>
    public SnpCollateral? SnpCollateral { get; init; }

    /// <summary>True when <see cref="Roots"/> are not the built-in vendor roots (a test PKI).</summary>
    public bool HasCustomRoots => !ReferenceEquals(Roots, TrustAnchors.BuiltIn);
}
