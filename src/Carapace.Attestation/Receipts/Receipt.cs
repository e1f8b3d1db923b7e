namespace Carapace.Attestation.Receipts;

/// <summary>
/// A parsed receipt: the signed <see cref="ReceiptBody"/> fields, the key that signed them and the evidence that
/// binds that key to an enclave measurement. <see cref="ReceiptVerifier"/> hands one out only after every check
/// passed; <see cref="ReceiptChain.Check"/> then relates receipts of one request to each other.
/// </summary>
public sealed record Receipt : ReceiptBody
{
    /// <summary>The receipt signing key: DER SubjectPublicKeyInfo of an ECDSA P-256 key.</summary>
    public required ReadOnlyMemory<byte> SigningKey { get; init; }

    /// <summary>The enclave's evidence, whose report data binds <see cref="SigningKey"/> (see <see cref="ReceiptSigner.ReportDataFor"/>).</summary>
    public required Evidence Evidence { get; init; }
}
