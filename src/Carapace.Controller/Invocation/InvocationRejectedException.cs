namespace Carapace.Controller.Invocation;

/// <summary>Why an invocation was refused before anything ran or was recorded.</summary>
public enum InvocationRejection
{
    /// <summary>The action does not exist (HTTP 404).</summary>
    NotFound,

    /// <summary>The body is not an envelope, or its header does not parse (HTTP 400).</summary>
    BadEnvelope,

    /// <summary>The envelope is addressed elsewhere: another chain, or not to step 1 from the client (HTTP 400).</summary>
    WrongAddress,

    /// <summary>The action cannot run this way (a sequence with a missing component, mixed modes…) (HTTP 400 or 502).</summary>
    NotRunnable,
}

/// <summary>An invocation refused before it started; the message names the problem and only public metadata.</summary>
public sealed class InvocationRejectedException(InvocationRejection reason, string message) : Exception(message)
{
    /// <summary>The reason.</summary>
    public InvocationRejection Reason { get; } = reason;
}
