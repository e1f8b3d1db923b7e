namespace Carapace.Protocol;

/// <summary>
/// Why an enclave refused an input (<see cref="InvocationStatus.InputRejected"/>), as the optional <c>reason</c> of a
/// <see cref="ResultMessage"/>. The host acts on the reason, never on the message, which is for people. Only
/// <see cref="Replay"/> means that the enclave had accepted the request id before; for every other reason the input
/// never opened, the function did not run and the enclave did not record the request id.
/// </summary>
public static class InputRejectionReason
{
    /// <summary>
    /// The input did not open as an authentic envelope: not an envelope, a malformed or unsupported header, a chunk that
    /// failed authentication, or an envelope cut short. Whoever damaged or forged it did not use up its request id.
    /// </summary>
    public const string Inauthentic = "inauthentic";

    /// <summary>The payload is larger than the function's input limit; it was refused while opening, before it was accepted.</summary>
    public const string TooLarge = "too-large";

    /// <summary>The enclave had already accepted this request id on the input's edge: the step ran (or is running) there.</summary>
    public const string Replay = "replay";

    /// <summary>
    /// The enclave holds no key for the input's edge, or none for the edges after it: its entitlement may predate the
    /// chain (the host may retire it and let a freshly attested enclave try the same input once).
    /// </summary>
    public const string KeyUnavailable = "key-unavailable";

    /// <summary>
    /// True when an enclave that refused an input for <paramref name="reason"/> did not accept its request id, so the
    /// request id is not used up. False for <see cref="Replay"/> and for a missing or unknown reason, which a host must
    /// treat as used up (at most once is kept when in doubt).
    /// </summary>
    public static bool LeavesRequestIdUnused(string? reason) => reason is Inauthentic or TooLarge or KeyUnavailable;
}
