namespace Carapace.Attestation.Tee;

/// <summary>
/// The trusted execution environment a Carapace process runs in, chosen once when it starts (<c>--tee</c>): it decides
/// which evidence the process issues and which evidence it accepts from others.
/// </summary>
public enum TeeKind
{
    /// <summary>No hardware: evidence is signed by a software quoting key and protects nothing (development only).</summary>
    Simulation,

    /// <summary>An Intel TDX confidential VM; evidence is a TDX quote from Linux configfs-tsm.</summary>
    Tdx,

    /// <summary>An AMD SEV-SNP confidential VM; evidence is an SEV-SNP attestation report from Linux configfs-tsm.</summary>
    Snp,
}
