namespace Carapace.Kms.Client.Release;

/// <summary>
/// The KMS denied a request; <see cref="Reason"/> says why and the message what to change. Messages name namespaces,
/// functions, measurements and evidence kinds — public facts — and never contain a secret value or key byte.
/// </summary>
public sealed class KmsDeniedException : Exception
{
    /// <summary>Creates the denial.</summary>
    public KmsDeniedException(KmsDenialReason reason, string message)
        : base(message)
    {
        Reason = reason;
    }

    /// <summary>Why the request was denied.</summary>
    public KmsDenialReason Reason { get; }
}
