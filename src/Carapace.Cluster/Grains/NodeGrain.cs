using Carapace.Cluster.Nodes;
using Orleans.Concurrency;

namespace Carapace.Cluster.Grains;

/// <summary>
/// The node grain (<see cref="INodeGrain"/>): reentrant, since a worker runs many steps at once; each step runs on the
/// thread pool, off the grain's scheduler, so an enclave's wait never holds the grain.
/// </summary>
[NodePlacement, Reentrant]
internal sealed class NodeGrain(NodeContext node) : Grain, INodeGrain
{
    /// <inheritdoc/>
    public Task<StepReply> Run(StepCall call)
    {
        ArgumentNullException.ThrowIfNull(call);
        if (node.Worker is not { } worker)
        {
            return Task.FromResult(new StepReply { Failure = StepFailure.NotRunnable, Message = $"the node {node.Name} is not a worker; nothing ran" });
        }

        return Task.Run(() => worker.RunAsync(call));
    }

    /// <inheritdoc/>
    public Task<ProvisionReply> Provision(string action, string version, long updatedTicks, byte[] ready)
    {
        var edge = node.Edge ?? throw new InvalidOperationException($"the node {node.Name} is not a gateway and holds no plaintext keys");
        return Task.Run(() => edge.Provision(action, version, updatedTicks, ready));
    }

    /// <inheritdoc/>
    public Task<bool> Confirm(Guid session, byte[] specialized) =>
        Task.FromResult(node.Edge is { } edge && edge.Confirm(session, specialized));

    /// <inheritdoc/>
    public Task<NodeReport> Report() => Task.FromResult(new NodeReport
    {
        Name = node.Name,
        Roles = NodeRoleNames.Format(node.Roles),
        ProcessId = Environment.ProcessId,
        Host = Environment.MachineName,
        Gateway = node.Gateway?.AbsoluteUri,
        RunningSteps = node.Worker?.Running ?? 0,
        Pools = node.Worker?.Pools ?? 0,
    });
}
