namespace Carapace.Controller.Triggers;

/// <summary>A trigger as the registry stores it (OpenWhisk's trigger document, without its rules, which are kept apart).</summary>
public sealed record TriggerRecord
{
    /// <summary>The namespace.</summary>
    public required string Namespace { get; init; }

    /// <summary>The trigger's name within its namespace.</summary>
    public required string Name { get; init; }

    /// <summary>The semver-like version, <c>0.0.1</c> on create, the patch number bumped on every update.</summary>
    public required string Version { get; init; }

    /// <summary>The annotations.</summary>
    public required IReadOnlyList<KeyValue> Annotations { get; init; }

    /// <summary>The default parameters of a firing: the payload's fields replace them.</summary>
    public required IReadOnlyList<KeyValue> Parameters { get; init; }

    /// <summary>OpenWhisk's <c>publish</c> flag (stored and shown; triggers are never shared).</summary>
    public required bool Publish { get; init; }

    /// <summary>When the trigger was last created or updated.</summary>
    public required DateTimeOffset Updated { get; init; }
}

/// <summary>The body of a trigger PUT: properties left null keep their stored value on an update.</summary>
public sealed record TriggerDefinition
{
    /// <summary>The annotations, or null to keep the stored ones.</summary>
    public IReadOnlyList<KeyValue>? Annotations { get; init; }

    /// <summary>The default parameters, or null to keep the stored ones.</summary>
    public IReadOnlyList<KeyValue>? Parameters { get; init; }

    /// <summary>The publish flag, or null to keep the stored one (false on create).</summary>
    public bool? Publish { get; init; }
}
