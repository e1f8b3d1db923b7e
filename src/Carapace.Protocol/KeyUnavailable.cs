namespace Carapace.Protocol;

/// <summary>
/// The words with which an enclave refuses an input because its entitlement has no key for the input's edge (or for
/// the edges that follow it). Such an enclave may simply have been specialised before the namespace's policy gained
/// the chain: the host may retire it and let a freshly attested enclave try the same input once, since the function
/// did not run. Both sides use these constants, so the host never guesses at free text.
/// </summary>
public static class KeyUnavailable
{
    /// <summary>Starts the message when the enclave holds no key for the input's edge.</summary>
    public const string InputEdge = "this function holds no key for edge";

    /// <summary>Starts the message when the KMS released no output or log edge for the input's step.</summary>
    public const string FollowingEdge = "the KMS released no";

    /// <summary>True when <paramref name="message"/> (an InputRejected result's) says the enclave lacked a key.</summary>
    public static bool IsReason(string message) =>
        message.Contains(InputEdge, StringComparison.Ordinal) || message.Contains(FollowingEdge, StringComparison.Ordinal);
}
