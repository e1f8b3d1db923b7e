namespace Carapace.Cluster.Nodes;

/// <summary>What a node does; a node may have both roles.</summary>
[Flags]
public enum NodeRoles
{
    /// <summary>No role (not a valid node).</summary>
    None = 0,

    /// <summary>Serves the HTTPS API and runs the controller's invocation logic over the shared stores.</summary>
    Gateway = 1,

    /// <summary>Hosts stem cells and enclave pools and runs the steps placed on it.</summary>
    Worker = 2,
}

/// <summary>Reading and writing <see cref="NodeRoles"/> as <c>gateway,worker</c>.</summary>
public static class NodeRoleNames
{
    /// <summary>The roles as a comma-separated list, e.g. <c>gateway,worker</c>.</summary>
    public static string Format(NodeRoles roles) => string.Join(',',
        new[] { (NodeRoles.Gateway, "gateway"), (NodeRoles.Worker, "worker") }.Where(r => roles.HasFlag(r.Item1)).Select(r => r.Item2));

    /// <summary>Parses a comma-separated list of <c>gateway</c> and <c>worker</c>.</summary>
    /// <exception cref="ArgumentException">An unknown role, or none.</exception>
    public static NodeRoles Parse(string text)
    {
        var roles = NodeRoles.None;
        foreach (var part in (text ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            roles |= part.ToLowerInvariant() switch
            {
                "gateway" => NodeRoles.Gateway,
                "worker" => NodeRoles.Worker,
                _ => throw new ArgumentException($"unknown role '{part}': a node is a gateway, a worker, or both (gateway,worker)"),
            };
        }

        return roles == NodeRoles.None ? throw new ArgumentException("no role given: a node is a gateway, a worker, or both (gateway,worker)") : roles;
    }
}
