using Carapace.Attestation;
using Carapace.Attestation.Tee;

namespace Carapace.Kms.Client;

/// <summary>
/// What a <see cref="KmsClient"/> requires of the KMS's RA-TLS server certificate before it sends anything: evidence that
/// verifies (against <see cref="Roots"/>, or for simulation evidence against <see cref="SimulationQuotingKeys"/>), the
/// measurement <see cref="ExpectedMeasurement"/> — for a KMS in a TDX or SEV-SNP confidential VM, bound as the workload
/// of evidence from a VM in <see cref="ConfidentialVms"/>, not in debug mode — and that the attested key is the TLS
/// server key.
/// </summary>
public sealed class KmsServerTrust
{
    /// <summary>
    /// Accept a KMS that attests itself with simulation evidence (no hardware protection). Default false: only
    /// hardware evidence is accepted, and simulation evidence is refused whatever <see cref="SimulationQuotingKeys"/> says.
    /// </summary>
    public bool AllowSimulation { get; init; }

    /// <summary>The simulation quoting keys (DER SubjectPublicKeyInfo) trusted when <see cref="AllowSimulation"/> is set.</summary>
    public IReadOnlyList<ReadOnlyMemory<byte>> SimulationQuotingKeys { get; init; } = [];

    /// <summary>
    /// The KMS measurement to accept. Default: <see cref="KmsIdentity.Measurement"/>, the KMS of this very build, computed
    /// only when no other measurement is given (a process that names the KMS it trusts needs no KMS files beside it).
    /// </summary>
    public ReadOnlyMemory<byte> ExpectedMeasurement
    {
        get => Expected ?? KmsIdentity.Measurement;
        init => Expected = value;
    }

    /// <summary>The measurement given, or null for the default.</summary>
    private ReadOnlyMemory<byte>? Expected { get; init; }

    /// <summary>The vendor roots hardware evidence must chain to. Default: the roots built into Carapace.</summary>
    public TrustAnchors Roots { get; init; } = TrustAnchors.BuiltIn;

    /// <summary>Intel collateral for a KMS's TDX quotes (without it no TDX VM's TCB can be accepted).</summary>
    public DcapCollateral? DcapCollateral { get; init; }

    /// <summary>A VCEK for a KMS's SEV-SNP reports that carry none.</summary>
    public SnpCollateral? SnpCollateral { get; init; }

    /// <summary>The confidential VM images (launch measurement, TCB) trusted to run the KMS. Default none: only simulation or SGX evidence can match.</summary>
    public IReadOnlyList<ConfidentialVm> ConfidentialVms { get; init; } = [];

    /// <summary>The clock certificates and evidence are checked at.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>
    /// The trust a Carapace process in <paramref name="settings"/>' TEE gives its platform's KMS: simulation with
    /// <paramref name="quotingKey"/>, or a KMS of this build in one of the configuration's trusted VM images, checked
    /// against its roots and collateral. The KMS must attest <paramref name="kmsMeasurement"/> when one is given (an
    /// enclave names the KMS its runtime identity covers), else the KMS of this very build.
    /// </summary>
    public static KmsServerTrust For(TeeSettings settings, ReadOnlyMemory<byte> quotingKey, ReadOnlyMemory<byte>? kmsMeasurement = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return settings.IsSimulated
            ? new KmsServerTrust { AllowSimulation = true, SimulationQuotingKeys = [quotingKey], Expected = kmsMeasurement }
            : new KmsServerTrust
            {
                Roots = settings.Trust.Roots,
                DcapCollateral = settings.Trust.DcapCollateral,
                SnpCollateral = settings.Trust.SnpCollateral,
                ConfidentialVms = settings.Vms,
                Expected = kmsMeasurement,
            };
    }

    /// <summary>Trust a simulated KMS of this build whose evidence is signed by <paramref name="quotingKey"/> (DER SubjectPublicKeyInfo).</summary>
    public static KmsServerTrust Simulation(ReadOnlyMemory<byte> quotingKey) => new()
    {
        AllowSimulation = true,
        SimulationQuotingKeys = [quotingKey],
    };
}
