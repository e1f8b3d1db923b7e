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

    /// <summary>
    /// The sequence expands to more actions than a sequence may run, or nests too deep: it grew past the limit through
    /// changes to its components after it was stored (HTTP 400, as OpenWhisk's "Too many actions in the sequence").
    /// </summary>
    SequenceTooLong,
}

/// <summary>An invocation refused before it started; the message names the problem and only public metadata.</summary>
public sealed class InvocationRejectedException(InvocationRejection reason, string message) : Exception(message)
{
    /// <summary>The reason.</summary>
    public InvocationRejection Reason { get; } = reason;
}
