using Carapace.Controller.Registry;

namespace Carapace.Cluster.Nodes;

/// <summary>How nodes name one deployed action version to each other, and find it again in the shared registry.</summary>
internal static class ActionVersions
{
    /// <summary>The key of <paramref name="action"/>'s version: its path, version and the time it was stored.</summary>
    public static string KeyOf(ActionRecord action) => $"{action.Name}@{action.Version}@{action.Updated.UtcTicks}";

    /// <summary>
    /// The action <paramref name="path"/> as an invocation runs it, if the registry still holds exactly that version;
    /// otherwise null and why not.
    /// </summary>
    public static (ActionRecord? Action, string? Problem) Find(ActionRegistry registry, string path, string version, long updatedTicks)
    {
        if (!ActionName.TryParse(path, out var name))
        {
            return (null, $"'{path}' is not an action name");
        }

        var resolution = registry.Resolve(name);
        if (resolution.Status != SequenceResolutionStatus.Resolved || resolution.Steps.Count != 1)
        {
            return (null, $"the action {name} no longer exists as a single action");
        }

        var action = resolution.Steps[0];
        if (action.Version != version || action.Updated.UtcTicks != updatedTicks)
        {
            return (null, $"the action {name} changed (version {action.Version} now, the step was placed for {version}); nothing ran");
        }

        return (action, null);
    }
}
