namespace Carapace.Controller.Registry;

/// <summary>How resolving an action into its steps ended.</summary>
public enum SequenceResolutionStatus
{
    /// <summary>All steps were found.</summary>
    Resolved,

    /// <summary>The action itself does not exist (404).</summary>
    NotFound,

    /// <summary>A component was deleted after the sequence was stored (OpenWhisk: "Sequence component does not exist").</summary>
    UnknownComponent,

    /// <summary>The components form a cycle.</summary>
    Cycle,

    /// <summary>
    /// The sequence expands to more than <see cref="ActionExec.MaxSequenceSteps"/> actions, or nests sequences more than
    /// <see cref="ActionExec.MaxSequenceDepth"/> deep (OpenWhisk: "Too many actions in the sequence").
    /// </summary>
    TooLong,
}

/// <summary>
/// The outcome of <see cref="ActionRegistry.Resolve"/>: the <c>wasm:wasi</c> actions to run, in order, with nested
/// sequences flattened (at most <see cref="ActionExec.MaxSequenceSteps"/>); a module action resolves to itself.
/// </summary>
public sealed record SequenceResolution
{
    /// <summary>How the resolution ended.</summary>
    public required SequenceResolutionStatus Status { get; init; }

    /// <summary>The action itself, when it exists.</summary>
    public ActionRecord? Root { get; init; }

    /// <summary>The steps when resolved; otherwise empty.</summary>
    public IReadOnlyList<ActionRecord> Steps { get; init; } = [];

    /// <summary>What was wrong, when not resolved.</summary>
    public string? Error { get; init; }
}
