namespace Carapace.Attestation.Dcap;

/// <summary>
/// Verifies Intel SGX DCAP ECDSA quotes (version 3, or 4/5 with an SGX report) to the pinned Intel SGX Root CA: quote
/// signature, QE report binding and signature, PCK chain at the verification time; with
/// <see cref="VerificationOptions.DcapCollateral"/>, also the TCB info, QE identity, CRLs and Intel's TCB status.
/// Without collateral the TCB status is <see cref="TcbStatus.Unknown"/>. Rejects TDX quotes.
/// </summary>
public sealed class SgxQuoteVerifier : EvidenceVerifier
{
    /// <inheritdoc />
    public override EvidenceKind Kind => EvidenceKind.Sgx;

    /// <inheritdoc />
    protected override VerifiedClaims VerifyCore(ReadOnlyMemory<byte> evidence, VerificationOptions options) =>
        DcapVerification.Verify(Kind, evidence, options);
}
