namespace Carapace.Controller.Registry;

/// <summary>How a put ended; each failure maps to one HTTP status at the gateway.</summary>
public enum PutActionStatus
{
    /// <summary>A new action was stored (200).</summary>
    Created,

    /// <summary>An existing action was replaced and its version bumped (200).</summary>
    Updated,

    /// <summary>The action exists and overwrite was not asked for (409).</summary>
    Conflict,

    /// <summary>The namespace does not exist (404).</summary>
    NamespaceNotFound,

    /// <summary>The action's package does not exist (404).</summary>
    PackageNotFound,

    /// <summary>The definition is invalid: bad name, kind, limits or module (400).</summary>
    Invalid,

    /// <summary>A sequence names an action that does not exist (400, as OpenWhisk).</summary>
    UnknownComponent,

    /// <summary>The sequence would contain itself, directly or through other sequences (400).</summary>
    Cycle,

    /// <summary>
    /// The sequence would run more than <see cref="ActionExec.MaxSequenceSteps"/> actions with its nested sequences
    /// flattened, or nest more than <see cref="ActionExec.MaxSequenceDepth"/> deep (400, as OpenWhisk's "Too many actions in the sequence").
    /// </summary>
    SequenceTooLong,
}

/// <summary>The outcome of <see cref="ActionRegistry.Put"/>: the stored action, or why nothing was stored.</summary>
public sealed record PutActionResult
{
    /// <summary>How the put ended.</summary>
    public required PutActionStatus Status { get; init; }

    /// <summary>The stored action when <see cref="Succeeded"/>; otherwise null.</summary>
    public ActionRecord? Action { get; init; }

    /// <summary>What was wrong and what to do, when the put failed; every problem found, one per sentence.</summary>
    public string? Error { get; init; }

    /// <summary>True when the action was created or updated.</summary>
    public bool Succeeded => Status is PutActionStatus.Created or PutActionStatus.Updated;

    internal static PutActionResult Fail(PutActionStatus status, string error) => new() { Status = status, Error = error };
}
