namespace Carapace.Controller.Registry;

/// <summary>A deployed action as the registry stores it: OpenWhisk's action document plus Carapace's flags.</summary>
public sealed record ActionRecord
{
    /// <summary>The fully qualified name.</summary>
    public required ActionName Name { get; init; }

    /// <summary>The semver-like version, <c>0.0.1</c> on create, the patch number bumped on every update.</summary>
    public required string Version { get; init; }

    /// <summary>The code.</summary>
    public required ActionCode Exec { get; init; }

    /// <summary>The resource limits.</summary>
    public required ActionLimits Limits { get; init; }

    /// <summary>The annotations.</summary>
    public required IReadOnlyList<KeyValue> Annotations { get; init; }

    /// <summary>The default parameters.</summary>
    public required IReadOnlyList<KeyValue> Parameters { get; init; }

    /// <summary>Whether inputs and outputs are sealed envelopes.</summary>
    public required bool Confidential { get; init; }

    /// <summary>Whether the action is shared with other namespaces.</summary>
    public required bool Publish { get; init; }

    /// <summary>When the action was last created or updated.</summary>
    public required DateTimeOffset Updated { get; init; }
}
