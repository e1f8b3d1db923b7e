namespace Carapace.Protocol;

/// <summary>How an invocation ended. Visible to the platform (like OpenWhisk's activation status), never the data.</summary>
public enum InvocationStatus
{
    /// <summary>The function ran to completion; see the exit code.</summary>
    Completed,

    /// <summary>The function exceeded its wall-clock limit.</summary>
    Timeout,

    /// <summary>The function needed more linear memory than its limit.</summary>
    MemoryLimit,

    /// <summary>The function used up its fuel.</summary>
    FuelExhausted,

    /// <summary>The function trapped (unreachable, out-of-bounds access, stack overflow, …).</summary>
    Trap,

    /// <summary>Shielded data (the file-system image) failed verification.</summary>
    IntegrityViolation,

    /// <summary>The input was refused before the function ran: it did not open (tampered, wrong edge, replay, too large).</summary>
    InputRejected,

    /// <summary>The function's output exceeded its limit.</summary>
    OutputTooLarge,
}
