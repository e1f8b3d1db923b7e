namespace Carapace.Controller.Registry;

/// <summary>
/// What a client PUTs for an action. As in OpenWhisk, a property left null on an update keeps the stored value; on a
/// create, <see cref="Exec"/> is required and the others take their defaults.
/// </summary>
public sealed class ActionDefinition
{
    /// <summary>The action's code; required on create, optional on update.</summary>
    public ActionExec? Exec { get; init; }

    /// <summary>The limits; <see cref="ActionLimits.Default"/> on create when null.</summary>
    public ActionLimits? Limits { get; init; }

    /// <summary>Annotations, as OpenWhisk's key/value array; empty on create when null.</summary>
    public IReadOnlyList<KeyValue>? Annotations { get; init; }

    /// <summary>Default parameters, as OpenWhisk's key/value array; empty on create when null.</summary>
    public IReadOnlyList<KeyValue>? Parameters { get; init; }

    /// <summary>Whether inputs and outputs are sealed envelopes (true on create when null: confidential by default).</summary>
    public bool? Confidential { get; init; }

    /// <summary>Whether the action is shared with other namespaces (false on create when null).</summary>
    public bool? Publish { get; init; }
}
