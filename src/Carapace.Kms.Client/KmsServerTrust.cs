using Carapace.Attestation;

namespace Carapace.Kms.Client;

/// <summary>
/// What a <see cref="KmsClient"/> requires of the KMS's RA-TLS server certificate before it sends anything: evidence that
/// verifies (against <see cref="Roots"/>, or for simulation evidence against <see cref="SimulationQuotingKeys"/>), the
/// measurement <see cref="ExpectedMeasurement"/>, and that the attested key is the TLS server key.
/// </summary>
public sealed class KmsServerTrust
{
    private readonly ReadOnlyMemory<byte>? _expectedMeasurement;

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
        get => _expectedMeasurement ?? KmsIdentity.Measurement;
        init => _expectedMeasurement = value;
    }

    /// <summary>The vendor roots hardware evidence must chain to. Default: the roots built into Carapace.</summary>
    public TrustAnchors Roots { get; init; } = TrustAnchors.BuiltIn;

    /// <summary>The clock certificates and evidence are checked at.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Trust a simulated KMS of this build whose evidence is signed by <paramref name="quotingKey"/> (DER SubjectPublicKeyInfo).</summary>
    public static KmsServerTrust Simulation(ReadOnlyMemory<byte> quotingKey) => new()
    {
        AllowSimulation = true,
        SimulationQuotingKeys = [quotingKey],
    };
}
