namespace Carapace.Attestation.Dcap;

/// <summary>
/// Verifies Intel TDX DCAP ECDSA quotes (version 4, or 5 with a TDX 1.0 or 1.5 report) to the pinned Intel SGX Root
/// CA: quote signature, QE report binding and signature, PCK chain at the verification time; with
/// <see cref="VerificationOptions.DcapCollateral"/>, also the TDX TCB info, TD QE identity, CRLs, the TDX module
/// identity and Intel's TCB status. Without collateral the TCB status is <see cref="TcbStatus.Unknown"/>. Rejects SGX quotes.
/// </summary>
public sealed class TdxQuoteVerifier : EvidenceVerifier
{
    /// <inheritdoc />
    public override EvidenceKind Kind => EvidenceKind.Tdx;

    /// <inheritdoc />
    protected override VerifiedClaims VerifyCore(ReadOnlyMemory<byte> evidence, VerificationOptions options) =>
        DcapVerification.Verify(Kind, evidence, options);
}
