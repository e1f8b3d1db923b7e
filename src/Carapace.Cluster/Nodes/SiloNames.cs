namespace Carapace.Cluster.Nodes;

/// <summary>
/// A node's silo name in the membership table: <c>NAME/ROLES</c> (e.g. <c>node2/worker</c>), so every node knows the
/// others' roles from Orleans' membership alone.
/// </summary>
internal static class SiloNames
{
    public static string Of(string name, NodeRoles roles) => $"{name}/{NodeRoleNames.Format(roles)}";

    /// <summary>The roles in a silo name (None when it is not a Carapace node's).</summary>
    public static NodeRoles RolesOf(string? siloName)
    {
        var slash = siloName?.LastIndexOf('/') ?? -1;
        if (slash < 0)
        {
            return NodeRoles.None;
        }

        try
        {
            return NodeRoleNames.Parse(siloName![(slash + 1)..]);
        }
        catch (ArgumentException)
        {
            return NodeRoles.None;
        }
    }

    /// <summary>The node name in a silo name.</summary>
    public static string NameOf(string? siloName) => siloName is null ? "" : siloName.LastIndexOf('/') is var slash and >= 0 ? siloName[..slash] : siloName;
}
