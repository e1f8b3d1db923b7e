namespace Carapace.Attestation.Receipts;

/// <summary>Why a receipt did not verify.</summary>
public enum ReceiptFailureReason
{
    /// <summary>The bytes are not a version 1 receipt: not canonical CBOR, a field missing, unknown or out of range.</summary>
    Malformed,

    /// <summary>The signature does not verify with the signing key the receipt names: the receipt was altered.</summary>
    BadSignature,

    /// <summary>The evidence did not verify; <see cref="ReceiptVerification.Attestation"/> says why.</summary>
    EvidenceNotVerified,

    /// <summary>The evidence is valid but binds another key than the one that signed the receipt.</summary>
    KeyNotBound,

    /// <summary>The receipt names another measurement than its evidence proves.</summary>
    MeasurementMismatch,
}
