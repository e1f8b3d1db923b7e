using Orleans.Placement;
using Orleans.Runtime.Placement;

namespace Carapace.Cluster.Grains;

/// <summary>
/// Places a grain on the node its key names (a silo address): how <see cref="INodeGrain"/> reaches one particular
/// process. A key naming a node that is not an active member fails the call, so a step is never run on another node
/// than the one chosen for it.
/// </summary>
[Serializable, GenerateSerializer, Immutable, SuppressReferenceTracking]
public sealed class NodePlacement : PlacementStrategy
{
    /// <summary>The one instance.</summary>
    public static NodePlacement Instance { get; } = new();
}

/// <summary>Marks a grain class as placed by <see cref="NodePlacement"/>.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class NodePlacementAttribute : PlacementAttribute
{
    /// <summary>Uses <see cref="NodePlacement.Instance"/>.</summary>
    public NodePlacementAttribute() : base(NodePlacement.Instance)
    {
    }
}

/// <summary>The director of <see cref="NodePlacement"/>: the silo whose address is the grain's key, if it is a compatible member.</summary>
internal sealed class NodePlacementDirector : IPlacementDirector
{
    /// <inheritdoc/>
    public Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        var key = target.GrainIdentity.Key.ToString();
        SiloAddress? silo = null;
        try
        {
            silo = SiloAddress.FromParsableString(key);
        }
        catch (FormatException)
        {
            // Reported below.
        }

        if (silo is null || !context.GetCompatibleSilos(target).Contains(silo))
        {
            throw new OrleansException($"the node {key} is not an active member of the cluster");
        }

        return Task.FromResult(silo);
    }
}
