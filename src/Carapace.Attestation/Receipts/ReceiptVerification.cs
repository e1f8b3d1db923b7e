using System.Diagnostics.CodeAnalysis;

namespace Carapace.Attestation.Receipts;

/// <summary>
/// The outcome of <see cref="ReceiptVerifier.Verify(ReadOnlySpan{byte}, VerificationOptions)"/>: a verified
/// <see cref="Receipt"/>, or a typed reason with a message saying what was wrong.
/// </summary>
public sealed class ReceiptVerification
{
    private ReceiptVerification(Receipt? receipt, AttestationResult? attestation, ReceiptFailureReason? reason, string message)
    {
        Receipt = receipt;
        Attestation = attestation;
        Reason = reason;
        Message = message;
    }

    /// <summary>True when every check passed; then <see cref="Receipt"/> and <see cref="Attestation"/> are set.</summary>
    [MemberNotNullWhen(true, nameof(Receipt), nameof(Attestation))]
    [MemberNotNullWhen(false, nameof(Reason))]
    public bool Verified => Reason is null;

    /// <summary>The receipt, only when it verified (an unverified receipt's fields prove nothing).</summary>
    public Receipt? Receipt { get; }

    /// <summary>
    /// The result of verifying the receipt's evidence: set when the receipt verified, and when it failed at or after
    /// that check (<see cref="ReceiptFailureReason.EvidenceNotVerified"/> and later); null before.
    /// A verified simulation result is <see cref="AttestationResult.Insecure"/>: the receipt then proves nothing about hardware.
    /// </summary>
    public AttestationResult? Attestation { get; }

    /// <summary>Why the receipt was rejected, or null when it verified.</summary>
    public ReceiptFailureReason? Reason { get; }

    /// <summary>What was checked or what was wrong; never contains function data.</summary>
    public string Message { get; }

    internal static ReceiptVerification Success(Receipt receipt, AttestationResult attestation) =>
        new(receipt, attestation, null, attestation.Insecure
            ? "receipt verified (INSECURE simulation evidence: no hardware protection)"
            : "receipt verified");

    internal static ReceiptVerification Failure(ReceiptFailureReason reason, string message, AttestationResult? attestation = null) =>
        new(null, attestation, reason, message);

    /// <inheritdoc />
    public override string ToString() => Verified ? Message : $"{Reason}: {Message}";
}
