using System.Net;
using System.Security.Cryptography.X509Certificates;
using Carapace.Attestation.Tee;
using Carapace.Cluster.Nodes;
using Carapace.Controller.Scheduling;
using Carapace.Gateway;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Carapace.Cluster;

/// <summary>How one cluster node runs. Checked as a whole before anything starts.</summary>
public sealed class ClusterNodeOptions
{
    /// <summary>The PostgreSQL connection string of the cluster's database (state and membership).</summary>
    public required string ConnectionString { get; init; }

    /// <summary>This node's name (unique in the cluster; its certificate's name).</summary>
    public required string Name { get; init; }

    /// <summary>What this node does.</summary>
    public NodeRoles Roles { get; init; } = NodeRoles.Gateway | NodeRoles.Worker;

    /// <summary>The folder for this node's local state: compiled-module cache, image files, the simulated platform's keys.</summary>
    public required string DataDirectory { get; init; }

    /// <summary>The address this node listens on and gives the other nodes (silo) and clients (gateway); loopback by default.</summary>
    public IPAddress Address { get; init; } = IPAddress.Loopback;

    /// <summary>The gateway's HTTPS port (gateway nodes); 0 picks a free one.</summary>
    public int Port { get; init; }

    /// <summary>The port the other nodes reach this one on (Orleans' silo port, mutual TLS).</summary>
    public int SiloPort { get; init; } = 11111;

    /// <summary>This node's certificate and key, issued by the cluster CA (mutual TLS between nodes).</summary>
    public required X509Certificate2 NodeCertificate { get; init; }

    /// <summary>The cluster CA's certificate: peers must present a certificate it issued.</summary>
    public required X509Certificate2 ClusterAuthority { get; init; }

    /// <summary>The gateway's HTTPS certificate with its key (gateway nodes).</summary>
    public X509Certificate2? GatewayCertificate { get; init; }

    /// <summary>The KMS the enclaves of confidential actions attest to, as clients are told about it.</summary>
    public required KmsAdvertisement Kms { get; init; }

    /// <summary>Prewarmed stem-cell enclaves kept ready (worker nodes; default 2).</summary>
    public int StemCells { get; init; } = 2;

    /// <summary>Most enclaves per action version on one worker.</summary>
    public int MaxEnclavesPerAction { get; init; } = Math.Max(2, Environment.ProcessorCount);

    /// <summary>Invocations one enclave serves before it is recycled.</summary>
    public int MaxInvocationsPerEnclave { get; init; } = 1_000;

    /// <summary>Per-namespace concurrency and queue bounds on one gateway node.</summary>
    public AdmissionOptions Admission { get; init; } = new();

    /// <summary>The native enclave executable; default: beside the running application.</summary>
    public string? EnclavePath { get; init; }

    /// <summary>
    /// Simulation only: the simulated machine's folder (platform key, quoting key) the enclaves use; it must be the one
    /// the KMS trusts, i.e. on one machine the KMS's <c>$CARAPACE_HOME/sim</c>. Default: <c>$CARAPACE_HOME/sim</c>.
    /// </summary>
    public string? SimulationDirectory { get; init; }

    /// <summary>The TEE the enclaves run in (simulation by default).</summary>
    public TeeSettings Tee { get; init; } = TeeSettings.Simulation;

    /// <summary>How long a silent node may go unanswered per probe before it is suspected (Orleans' ProbeTimeout; default 1 s).</summary>
    public TimeSpan ProbeTimeout { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Missed probes after which a node votes another dead (Orleans' NumMissedProbesLimit; default 2).</summary>
    public int MissedProbesLimit { get; init; } = 2;

    /// <summary>Where the node logs (metadata only).</summary>
    public ILoggerFactory LoggerFactory { get; init; } = NullLoggerFactory.Instance;

    /// <summary>Every problem with these options, one sentence each; empty when they are valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(ConnectionString))
        {
            problems.Add("ConnectionString is empty; name the cluster's PostgreSQL database.");
        }

        if (!Security.ClusterAuthority.IsValidNodeName(Name))
        {
            problems.Add($"Name '{Name}' is not a valid node name (1-63 letters, digits, '-' or '.').");
        }

        if (Roles == NodeRoles.None)
        {
            problems.Add("Roles is None; a node is a gateway, a worker, or both.");
        }

        if (string.IsNullOrWhiteSpace(DataDirectory))
        {
            problems.Add("DataDirectory is empty; give the folder for this node's local state.");
        }

        if (Port is < 0 or > 65535)
        {
            problems.Add($"Port {Port} is outside 0..65535.");
        }

        if (SiloPort is < 1 or > 65535)
        {
            problems.Add($"SiloPort {SiloPort} is outside 1..65535; the other nodes must know where to reach this one.");
        }

        if (NodeCertificate is null || !NodeCertificate.HasPrivateKey)
        {
            problems.Add("NodeCertificate is missing or has no private key; issue one with 'carapace cluster cert issue NODE'.");
        }

        if (ClusterAuthority is null)
        {
            problems.Add("ClusterAuthority is null; nodes accept only peers with a certificate from the cluster CA.");
        }

        if (Roles.HasFlag(NodeRoles.Gateway) && (GatewayCertificate is null || !GatewayCertificate.HasPrivateKey))
        {
            problems.Add("GatewayCertificate is missing or has no private key; a gateway serves HTTPS only.");
        }

        if (Kms is null)
        {
            problems.Add("Kms is null; confidential actions need a KMS to attest to.");
        }

        if (StemCells is < 0 or > 64)
        {
            problems.Add($"StemCells {StemCells} is outside 0..64.");
        }

        if (MaxEnclavesPerAction < 1 || MaxInvocationsPerEnclave < 1)
        {
            problems.Add("MaxEnclavesPerAction and MaxInvocationsPerEnclave must be at least 1.");
        }

        if (ProbeTimeout <= TimeSpan.Zero || MissedProbesLimit < 1)
        {
            problems.Add("ProbeTimeout must be positive and MissedProbesLimit at least 1.");
        }

        return problems;
    }
}
