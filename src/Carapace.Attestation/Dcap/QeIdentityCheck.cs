namespace Carapace.Attestation.Dcap;

/// <summary>
/// Checks the quoting enclave's report against Intel's QE identity (Intel's <c>EnclaveReportVerifier</c>): MISCSELECT
/// and ATTRIBUTES under their masks, MRSIGNER, ISVPRODID, then the TCB level of its ISVSVN.
/// </summary>
internal static class QeIdentityCheck
{
    /// <summary>The id of the QE identity that applies to quotes of <paramref name="kind"/>.</summary>
    public static string ExpectedId(EvidenceKind kind) => kind == EvidenceKind.Tdx ? QeIdentity.TdxId : QeIdentity.SgxId;

    /// <summary>Returns the QE's TCB level; throws CollateralMismatch when the QE is not the one described.</summary>
    public static IsvTcbLevel Check(EnclaveReport qe, QeIdentity identity)
    {
        if ((qe.MiscSelect & identity.MiscSelectMask) != identity.MiscSelect)
        {
            throw Mismatch($"its MISCSELECT {qe.MiscSelect:x8} under mask {identity.MiscSelectMask:x8} is not {identity.MiscSelect:x8}");
        }

        var attributes = qe.Attributes.Span;
        for (var i = 0; i < attributes.Length; i++)
        {
            if ((attributes[i] & identity.AttributesMask[i]) != identity.Attributes[i])
            {
                throw Mismatch($"its ATTRIBUTES {Convert.ToHexStringLower(attributes)} under mask {Convert.ToHexStringLower(identity.AttributesMask)} "
                    + $"are not {Convert.ToHexStringLower(identity.Attributes)}");
            }
        }

        if (!qe.MrSigner.Span.SequenceEqual(identity.MrSigner))
        {
            throw Mismatch($"its MRSIGNER {Convert.ToHexStringLower(qe.MrSigner.Span)} is not {Convert.ToHexStringLower(identity.MrSigner)}");
        }

        if (qe.IsvProdId != identity.IsvProdId)
        {
            throw Mismatch($"its ISVPRODID {qe.IsvProdId} is not {identity.IsvProdId}");
        }

        return IsvTcbLevel.Match(identity.Levels, qe.IsvSvn)
            ?? throw new AttestationException(AttestationFailureReason.TcbRejected,
                $"the quoting enclave's ISVSVN {qe.IsvSvn} is below every TCB level of the QE identity; the platform's quoting enclave needs an update");
    }

    private static AttestationException Mismatch(string detail) => new(AttestationFailureReason.CollateralMismatch,
        $"the quote's quoting enclave is not the one Intel's QE identity describes: {detail}");
}
