using Carapace.Cluster.Nodes;
using Orleans.Concurrency;

namespace Carapace.Cluster.Grains;

/// <summary>
/// Placement of one action version's steps (<see cref="IPlacementGrain"/>). It knows, for each worker node, how many
/// of this version's steps run there and whether an enclave stayed warm after the last one; the workers themselves
/// come from Orleans' membership (active silos whose name carries the worker role). Its state is soft: lost with the
/// grain, it is relearned from the next steps.
/// </summary>
[Reentrant]
internal sealed class PlacementGrain(IClusterMembershipService membership) : Grain, IPlacementGrain
{
    private readonly Dictionary<string, WorkerState> _workers = new(StringComparer.Ordinal);

    /// <inheritdoc/>
    public Task<string?> Place(string[] avoid)
    {
        var live = membership.CurrentSnapshot.Members.Values
            .Where(m => m.Status == SiloStatus.Active && SiloNames.RolesOf(m.Name).HasFlag(NodeRoles.Worker))
            .Select(m => m.SiloAddress.ToParsableString())
            .Where(w => avoid is null || !avoid.Contains(w, StringComparer.Ordinal))
            .ToList();
        foreach (var gone in _workers.Keys.Except(live).ToList())
        {
            _workers.Remove(gone);
        }

        if (live.Count == 0)
        {
            return Task.FromResult<string?>(null);
        }

        var states = live.Select(w => (Key: w, State: _workers.TryGetValue(w, out var s) ? s : _workers[w] = new WorkerState())).ToList();
        // A warm enclave first (among the warm, the least busy), else the worker running the fewest of these steps;
        // ties are broken at random so that new versions spread over the workers.
        var warm = states.Where(s => s.State.Warm > 0 && s.State.Running < s.State.Warm).ToList();
        var pool = warm.Count > 0 ? warm : states;
        var least = pool.Min(s => s.State.Running);
        var candidates = pool.Where(s => s.State.Running == least).ToList();
        var chosen = candidates[Random.Shared.Next(candidates.Count)];
        chosen.State.Running++;
        return Task.FromResult<string?>(chosen.Key);
    }

    /// <inheritdoc/>
    public Task Finished(string worker, bool warm)
    {
        if (_workers.TryGetValue(worker, out var state))
        {
            state.Running = Math.Max(0, state.Running - 1);
            // Warm enclaves there: at least as many as ran at once and ended well; none after a failure.
            state.Warm = warm ? Math.Max(state.Warm, state.Running + 1) : 0;
        }

        return Task.CompletedTask;
    }

    private sealed class WorkerState
    {
        public int Running { get; set; }

        public int Warm { get; set; }
    }
}
