namespace Carapace.Attestation;

/// <summary>
/// Thrown inside Carapace's attestation code to abort a check with a typed <see cref="AttestationFailure"/>;
/// verifiers turn it into a rejected <see cref="AttestationResult"/>, and issuers let it reach the caller.
/// </summary>
public sealed class AttestationException : Exception
{
    /// <summary>Creates the exception for <paramref name="failure"/>.</summary>
    public AttestationException(AttestationFailure failure)
        : base(failure?.Message)
    {
        ArgumentNullException.ThrowIfNull(failure);
        Failure = failure;
    }

    /// <summary>Creates the exception for a failure of <paramref name="reason"/>.</summary>
    public AttestationException(AttestationFailureReason reason, string message)
        : this(new AttestationFailure(reason, message))
    {
    }

    /// <summary>The typed failure.</summary>
    public AttestationFailure Failure { get; }

    /// <summary>The class of failure.</summary>
    public AttestationFailureReason Reason => Failure.Reason;

    /// <summary>Shorthand for a <see cref="AttestationFailureReason.Malformed"/> failure.</summary>
    public static AttestationException Malformed(string message) => new(AttestationFailureReason.Malformed, message);
}
