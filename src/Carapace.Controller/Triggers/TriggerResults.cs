namespace Carapace.Controller.Triggers;

/// <summary>How a trigger or rule put ended; each failure maps to one HTTP status at the gateway.</summary>
public enum PutEntityStatus
{
    /// <summary>Stored as new (200).</summary>
    Created,

    /// <summary>An existing entity was replaced and its version bumped (200).</summary>
    Updated,

    /// <summary>It exists and overwrite was not asked for (409).</summary>
    Conflict,

    /// <summary>The namespace does not exist (404).</summary>
    NamespaceNotFound,

    /// <summary>The definition is invalid, or refers to a trigger or action that does not exist (400).</summary>
    Invalid,
}

/// <summary>The outcome of a trigger or rule put.</summary>
/// <typeparam name="T">The stored entity.</typeparam>
/// <param name="Status">How it ended.</param>
/// <param name="Entity">The stored entity, when Created or Updated.</param>
/// <param name="Error">Why nothing was stored, in a sentence for the caller.</param>
public sealed record PutEntityResult<T>(PutEntityStatus Status, T? Entity, string? Error)
    where T : class
{
    internal static PutEntityResult<T> Fail(PutEntityStatus status, string error) => new(status, null, error);
}

/// <summary>How a rule status change ended.</summary>
public enum RuleStatusChange
{
    /// <summary>The status changed.</summary>
    Changed,

    /// <summary>The rule already had that status (200, as OpenWhisk).</summary>
    Unchanged,

    /// <summary>No such rule (404).</summary>
    RuleNotFound,

    /// <summary>The rule's trigger does not exist, so it cannot be activated (404, as OpenWhisk).</summary>
    TriggerNotFound,
}
