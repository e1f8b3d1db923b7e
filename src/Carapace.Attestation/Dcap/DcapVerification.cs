namespace Carapace.Attestation.Dcap;

/// <summary>
/// The verification both DCAP verifiers share. From the inside out: the attestation key signed the header and body;
/// the quoting enclave's report binds the attestation key; the PCK key signed that report; the PCK chain leads to a
/// pinned Intel root at the verification time; then, when given, the collateral and the TCB level.
/// </summary>
internal static class DcapVerification
{
    public static VerifiedClaims Verify(EvidenceKind kind, ReadOnlyMemory<byte> evidence, VerificationOptions options)
    {
        var at = options.Now;
        var quote = DcapQuote.Parse(evidence.Span);
        if (quote.Kind != kind)
        {
            throw new AttestationException(AttestationFailureReason.UnsupportedVersion,
                $"this is an Intel {EvidenceKinds.Name(quote.Kind).ToUpperInvariant()} quote (version {quote.Version}, TEE type 0x{quote.TeeType:x}, {quote.BodyType} body), "
                + $"not {EvidenceKinds.Name(kind).ToUpperInvariant()}; verify it as '{EvidenceKinds.Name(quote.Kind)}' evidence");
        }

        QuoteSignatures.VerifyQuote(quote);
        QuoteSignatures.VerifyBinding(quote);
        var roots = options.Roots.For(kind);
        var pck = PckChain.Verify(quote, roots, at);
        QuoteSignatures.VerifyQeReport(quote, pck);

        var window = ValidityWindow.Of(pck.Chain);
        CollateralVerdict? collateral = null;
        if (options.DcapCollateral is { } dcapCollateral)
        {
            collateral = CollateralVerification.Verify(quote, pck, dcapCollateral, roots, at);
            window = window.Intersect(collateral.Window);
        }

        return DcapClaims.Build(quote, pck, collateral, window);
    }
}
