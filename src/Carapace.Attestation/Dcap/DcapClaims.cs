namespace Carapace.Attestation.Dcap;

/// <summary>Turns a verified quote (and verified collateral, if any) into <see cref="VerifiedClaims"/>.</summary>
internal static class DcapClaims
{
    public static VerifiedClaims Build(DcapQuote quote, PckChain pck, CollateralVerdict? collateral, ValidityWindow window)
    {
        var claims = new List<Claim>
        {
            Claim.Of("version", quote.Version),
            Claim.Of("teetype", quote.TeeType),
        };
        claims.AddRange(quote.ReportClaims);
        var qe = quote.QeEnclaveReport;
        claims.AddRange(
        [
            Claim.Of("fmspc", pck.Extension.Fmspc),
            Claim.Of("pceid", pck.Extension.PceId),
            Claim.Of("pcktcbcomponents", pck.Extension.Components),
            Claim.Of("pckpcesvn", pck.Extension.PceSvn),
            Claim.Of("qesvn", quote.QeSvn),
            Claim.Of("pcesvn", quote.PceSvn),
            Claim.Of("qemrenclave", qe.MrEnclave.Span),
            Claim.Of("qemrsigner", qe.MrSigner.Span),
            Claim.Of("qeisvprodid", qe.IsvProdId),
            Claim.Of("qeisvsvn", qe.IsvSvn),
        ]);
        if (collateral is not null)
        {
            claims.Add(Claim.Of("tcbdate", collateral.Tcb.TcbDate.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture)));
            if (collateral.TcbInfo.EvaluationDataNumber is { } number)
            {
                claims.Add(Claim.Of("tcbevaluationdatanumber", (ulong)number));
            }
        }

        var sgx = quote.Enclave;
        return new VerifiedClaims
        {
            Kind = quote.Kind,
            Debug = quote.Debug,
            Measurement = quote.Measurement,
            Signer = sgx?.MrSigner ?? ReadOnlyMemory<byte>.Empty,
            ProductId = sgx?.IsvProdId,
            SecurityVersion = sgx?.IsvSvn,
            ReportData = quote.ReportData,
            TcbStatus = collateral?.Tcb.Status ?? TcbStatus.Unknown,
            Advisories = collateral?.Tcb.Advisories ?? [],
            Claims = claims,
            ValidFrom = window.From,
            ValidUntil = window.Until,
        };
    }
}
