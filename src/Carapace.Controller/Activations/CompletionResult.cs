namespace Carapace.Controller.Activations;

/// <summary>How completing an activation ended.</summary>
public enum CompletionResult
{
    /// <summary>The pending activation now has its response.</summary>
    Completed,

    /// <summary>No activation has this id.</summary>
    NotFound,

    /// <summary>The activation was already completed; the first outcome stands.</summary>
    AlreadyCompleted,
}
