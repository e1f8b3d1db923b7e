using Carapace.Client.Gateway;

namespace Carapace.Client.Deployment;

/// <summary>
/// A deploy (<see cref="CarapaceClient.DeployAsync"/>, <see cref="CarapaceClient.CreateChainAsync"/> or
/// <see cref="CarapaceClient.DeleteAsync"/>) failed half-way and could not undo its first half: <see cref="State"/>
/// says what is in place, and the message says what failed, what is left and what to do. Every other exception from
/// those methods means nothing was changed. The message never contains keys, secrets or module bytes.
/// </summary>
public sealed class DeployException : Exception
{
    /// <summary>Creates the error.</summary>
    public DeployException(DeployFailureState state, string message, Exception? inner = null, Exception? cleanupError = null,
        GatewayAction? action = null, string? measurement = null)
        : base(message, inner)
    {
        State = state;
        CleanupError = cleanupError;
        Action = action;
        Measurement = measurement;
    }

    /// <summary>What the failure left behind.</summary>
    public DeployFailureState State { get; }

    /// <summary>Why putting things back (or finishing) failed, when that is a second error besides <see cref="Exception.InnerException"/>.</summary>
    public Exception? CleanupError { get; }

    /// <summary>The action the gateway stored (or still has), when known.</summary>
    public GatewayAction? Action { get; }

    /// <summary>The measurement (lower-case hex) this deploy computed, for an action.</summary>
    public string? Measurement { get; }
}
