using Orleans.Concurrency;

namespace Carapace.Cluster.Grains;

/// <summary>
/// One grain per node, always activated on that node (<see cref="NodePlacement"/>; its key is the node's silo
/// address): the cluster's handle on what only that process has — a worker's enclave pools, a gateway's trusted edge
/// for plaintext actions. Calls carry sealed bytes and metadata only.
/// </summary>
public interface INodeGrain : IGrainWithStringKey
{
    /// <summary>Runs one step on this worker node's enclaves.</summary>
    Task<StepReply> Run(StepCall call);

    /// <summary>
    /// (Gateway nodes) Provisioning for one enclave of a plaintext action, sealed to the enclave that announced
    /// <paramref name="ready"/> (an encoded ready message): the keys stay on this node.
    /// </summary>
    Task<ProvisionReply> Provision(string action, string version, long updatedTicks, byte[] ready);

    /// <summary>(Gateway nodes) Whether the enclave's encoded confirmation proves it loaded what <paramref name="session"/> provisioned.</summary>
    Task<bool> Confirm(Guid session, byte[] specialized);

    /// <summary>What this node is and carries.</summary>
    Task<NodeReport> Report();
}

/// <summary>
/// One grain per deployed action version (key: <c>path@version@ticks</c>): it places each step of that version on a
/// worker node — one that holds a warm enclave for it first, else the one running the fewest of its steps — and
/// learns from each step's end which workers are warm.
/// </summary>
public interface IPlacementGrain : IGrainWithStringKey
{
    /// <summary>The worker node (its node-grain key) that should run the next step, or null when no worker is up.</summary>
    /// <param name="avoid">Workers not to choose (e.g. one just lost).</param>
    Task<string?> Place(string[] avoid);

    /// <summary>A step placed on <paramref name="worker"/> ended; <paramref name="warm"/> when an enclave stayed warm there.</summary>
    [OneWay]
    Task Finished(string worker, bool warm);
}
