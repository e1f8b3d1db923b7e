using Carapace.Attestation.ConfigFsTsm;
using Carapace.Attestation.Simulation;

namespace Carapace.Attestation.Tee;

/// <summary>
/// Where a process's evidence comes from, chosen once when it starts and passed to the code that attests (enclave,
/// KMS): simulation (<see cref="Simulation(string, TimeProvider?)"/>) or the configfs-tsm interface of an Intel TDX or
/// AMD SEV-SNP confidential VM (<see cref="Hardware(TeeKind, string?, int?)"/>). Opening a hardware backend checks the hardware is there and
/// is the kind asked for; it never falls back to simulation. Dispose it to free the simulation quoting key.
/// </summary>
public abstract class TeeBackend : IDisposable
{
    private protected TeeBackend()
    {
    }

    /// <summary>The TEE this process runs in.</summary>
    public abstract TeeKind Kind { get; }

    /// <summary>True for simulation: the evidence proves nothing about hardware.</summary>
    public bool IsSimulated => Kind == TeeKind.Simulation;

    /// <summary>The simulation quoting key (DER SubjectPublicKeyInfo) that signs this backend's evidence; empty on hardware.</summary>
    public virtual ReadOnlyMemory<byte> SimulationQuotingKey => ReadOnlyMemory<byte>.Empty;

    /// <summary>One line for logs: the kind and where the evidence comes from.</summary>
    public abstract string Description { get; }

    /// <summary>
    /// An issuer of evidence for the workload whose Carapace measurement is <paramref name="workload"/> (32 bytes):
    /// simulation evidence naming it, or hardware evidence binding it in the report data (<see cref="WorkloadBinding"/>).
    /// </summary>
    public abstract IEvidenceIssuer IssuerFor(ReadOnlyMemory<byte> workload);

    /// <summary>Simulation with the quoting key in <paramref name="simulationDirectory"/> (created if missing).</summary>
    /// <exception cref="Envelope.Keys.KeyFileException">The quoting key file cannot be created or read.</exception>
    public static TeeBackend Simulation(string simulationDirectory, TimeProvider? timeProvider = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(simulationDirectory);
        return new SimulationBackend(SimulatedQuotingService.OpenOrCreate(simulationDirectory), Path.GetFullPath(simulationDirectory), timeProvider);
    }

    /// <summary>Simulation with a fresh in-memory quoting key nobody else trusts: for warm-ups and tests.</summary>
    public static TeeBackend EphemeralSimulation(TimeProvider? timeProvider = null) =>
        new SimulationBackend(SimulatedQuotingService.CreateEphemeral(), "memory only", timeProvider);

    /// <summary>
    /// The configfs-tsm interface at <paramref name="tsmPath"/> (default <c>/sys/kernel/config/tsm/report</c>) for
    /// <paramref name="kind"/> (<see cref="TeeKind.Tdx"/> or <see cref="TeeKind.Snp"/>). It is probed now: it must
    /// exist, be usable by this process and have the provider of that kind.
    /// </summary>
    /// <exception cref="TeeConfigurationException">Missing, unusable or of another kind; the message says what to do.</exception>
    public static TeeBackend Hardware(TeeKind kind, string? tsmPath = null, int? privilegeLevel = null) =>
        Hardware(kind, tsmPath, privilegeLevel, TsmFileSystem.Real);

    internal static TeeBackend Hardware(TeeKind kind, string? tsmPath, int? privilegeLevel, TsmFileSystem files)
    {
        if (kind == TeeKind.Simulation)
        {
            throw new ArgumentException("simulation has no hardware backend; use TeeBackend.Simulation", nameof(kind));
        }

        var root = tsmPath ?? ConfigFsTsmIssuer.DefaultRoot;
        var name = TeeKinds.Name(kind);
        if (!ConfigFsTsmIssuer.IsAvailable(root))
        {
            throw new TeeConfigurationException([
                $"--tee {name} needs Linux configfs-tsm at {root}, which does not exist: this machine is not "
                + $"{(kind == TeeKind.Tdx ? "an Intel TDX" : "an AMD SEV-SNP")} guest with Linux 6.7 or later, or configfs is not mounted "
                + "(mount -t configfs none /sys/kernel/config). Carapace does not fall back to simulation; start with --tee sim to develop without hardware"]);
        }

        var issuer = new ConfigFsTsmIssuer(root, privilegeLevel, files);
        EvidenceKind found;
        try
        {
            found = issuer.Kind;
        }
        catch (AttestationException e)
        {
            throw new TeeConfigurationException($"--tee {name}: the configfs-tsm interface at {root} cannot be used: {e.Message}", e);
        }

        if (found != TeeKinds.EvidenceOf(kind))
        {
            var other = found == EvidenceKind.Tdx ? TeeKind.Tdx : TeeKind.Snp;
            throw new TeeConfigurationException([
                $"--tee {name}, but the configfs-tsm provider at {root} is {TeeKinds.ProviderOf(other)}: this is "
                + $"{(other == TeeKind.Tdx ? "an Intel TDX" : "an AMD SEV-SNP")} confidential VM; start with --tee {TeeKinds.Name(other)}"]);
        }

        return new ConfigFsTsmBackend(kind, issuer, root);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Frees what the backend holds.</summary>
    protected virtual void Dispose(bool disposing)
    {
    }

    private sealed class SimulationBackend(SimulatedQuotingService quoting, string where, TimeProvider? time) : TeeBackend
    {
        public override TeeKind Kind => TeeKind.Simulation;

        public override ReadOnlyMemory<byte> SimulationQuotingKey => quoting.PublicKey;

        public override string Description => $"simulation evidence signed by the software quoting key {quoting.KeyId} in {where}";

        public override IEvidenceIssuer IssuerFor(ReadOnlyMemory<byte> workload) => new SimulatedEvidenceIssuer(quoting, workload, time);

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                quoting.Dispose();
            }
        }
    }

    private sealed class ConfigFsTsmBackend(TeeKind kind, ConfigFsTsmIssuer issuer, string root) : TeeBackend
    {
        public override TeeKind Kind => kind;

        public override string Description => $"{(kind == TeeKind.Tdx ? "Intel TDX quotes" : "AMD SEV-SNP reports")} from configfs-tsm at {root}";

        public override IEvidenceIssuer IssuerFor(ReadOnlyMemory<byte> workload) => new WorkloadEvidenceIssuer(issuer, workload);
    }
}
