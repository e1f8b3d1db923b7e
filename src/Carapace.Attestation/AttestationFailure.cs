namespace Carapace.Attestation;

/// <summary>A typed rejection of evidence with a message a person can act on. Never contains secrets.</summary>
/// <param name="Reason">The class of failure.</param>
/// <param name="Message">What was wrong and, where possible, what to do about it.</param>
public sealed record AttestationFailure(AttestationFailureReason Reason, string Message)
{
    /// <inheritdoc />
    public override string ToString() => $"{Reason}: {Message}";
}
