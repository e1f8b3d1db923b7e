namespace Carapace.Cluster.Nodes;

/// <summary>What this process brings to the cluster, as its node grain sees it (set up before the silo starts).</summary>
internal sealed class NodeContext
{
    public required string Name { get; init; }

    public required NodeRoles Roles { get; init; }

    /// <summary>The worker's enclaves (worker nodes).</summary>
    public WorkerPools? Worker { get; set; }

    /// <summary>The trusted edge for plaintext actions (gateway nodes).</summary>
    public EdgeProvisioning? Edge { get; set; }

    /// <summary>The gateway's HTTPS address once it listens (gateway nodes).</summary>
    public Uri? Gateway { get; set; }
}
