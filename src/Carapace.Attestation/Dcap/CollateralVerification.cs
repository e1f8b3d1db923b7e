using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Carapace.Attestation.Dcap;

/// <summary>
/// Verifies DCAP collateral for a quote whose own signatures and PCK chain have been verified, in the order that gives
/// the most useful message: is it collateral for this quote (FMSPC, PCE id, TEE, QE identity id, CRL issuers); is it
/// Intel's (TCB info and QE identity signatures by a TCB signing certificate chained to the pinned root, CRL
/// signatures); is it current at the verification time; is anything on the chain revoked; and finally the TCB level.
/// </summary>
/// <remarks>
/// The PCK CRL is checked with the PCK certificate's issuer from the quote's verified chain, so
/// <see cref="DcapCollateral.PckCrlIssuerChain"/> is not needed and not read.
/// </remarks>
internal static class CollateralVerification
{
    public static CollateralVerdict Verify(DcapQuote quote, PckChain pck, DcapCollateral collateral, X509Certificate2Collection roots, DateTimeOffset at)
    {
        var tcbInfo = TcbInfo.Parse(collateral.TcbInfo);
        var qeIdentity = QeIdentity.Parse(collateral.QeIdentity);
        var pckCrl = RevocationList.Parse(collateral.PckCrl, "PCK CRL");
        var rootCrl = RevocationList.Parse(collateral.RootCaCrl, "root CA CRL");

        CheckMatches(quote, pck, tcbInfo, qeIdentity);

        var tcbSigner = VerifySigned(collateral.TcbInfo, collateral.TcbInfoSignature, collateral.TcbInfoIssuerChain, roots, at, "TCB info");
        var qeSigner = VerifySigned(collateral.QeIdentity, collateral.QeIdentitySignature, collateral.QeIdentityIssuerChain, roots, at, "QE identity");
        rootCrl.VerifyIssuedBy(pck.Root, "Intel SGX Root CA");
        pckCrl.VerifyIssuedBy(pck.Issuer, "PCK certificate's issuing CA");

        rootCrl.Window.Check(at, "root CA CRL");
        pckCrl.Window.Check(at, "PCK CRL");
        tcbInfo.Window.Check(at, "TCB info");
        qeIdentity.Window.Check(at, "QE identity");

        pckCrl.CheckNotRevoked(pck.Leaf, "PCK");
        CheckNotRevoked(rootCrl, pck.Chain.Certificates.Skip(1).SkipLast(1), "PCK issuing CA");
        CheckNotRevoked(rootCrl, tcbSigner.Certificates.SkipLast(1), "TCB info signing");
        CheckNotRevoked(rootCrl, qeSigner.Certificates.SkipLast(1), "QE identity signing");

        var qeLevel = QeIdentityCheck.Check(quote.QeEnclaveReport, qeIdentity);
        var tcb = TcbEvaluation.Evaluate(tcbInfo, pck.Extension.Components, pck.Extension.PceSvn, quote.Td?.TeeTcbSvn.ToArray(), qeLevel);
        var window = ValidityWindow.Of(tcbSigner)
            .Intersect(ValidityWindow.Of(qeSigner))
            .Intersect(rootCrl.Window)
            .Intersect(pckCrl.Window)
            .Intersect(tcbInfo.Window)
            .Intersect(qeIdentity.Window);
        return new CollateralVerdict(tcb, tcbInfo, window);
    }

    private static void CheckMatches(DcapQuote quote, PckChain pck, TcbInfo tcbInfo, QeIdentity qeIdentity)
    {
        if (!tcbInfo.Fmspc.AsSpan().SequenceEqual(pck.Extension.Fmspc))
        {
            throw Mismatch($"the TCB info is for FMSPC {Convert.ToHexStringLower(tcbInfo.Fmspc)}, but the quote's PCK certificate has FMSPC "
                + $"{Convert.ToHexStringLower(pck.Extension.Fmspc)}; fetch the TCB info for this platform's FMSPC");
        }

        if (!tcbInfo.PceId.AsSpan().SequenceEqual(pck.Extension.PceId))
        {
            throw Mismatch($"the TCB info is for PCE id {Convert.ToHexStringLower(tcbInfo.PceId)}, but the PCK certificate has {Convert.ToHexStringLower(pck.Extension.PceId)}");
        }

        var expectedTcbId = quote.Kind == EvidenceKind.Tdx ? TcbInfo.TdxId : TcbInfo.SgxId;
        if (tcbInfo.Id != expectedTcbId)
        {
            throw Mismatch($"the TCB info has id '{tcbInfo.Id}', but a {EvidenceKinds.Name(quote.Kind)} quote needs the '{expectedTcbId}' TCB info");
        }

        var expectedQeId = QeIdentityCheck.ExpectedId(quote.Kind);
        if (qeIdentity.Id != expectedQeId)
        {
            throw Mismatch($"the QE identity has id '{qeIdentity.Id}', but a {EvidenceKinds.Name(quote.Kind)} quote needs the '{expectedQeId}' identity");
        }

        if (quote.Td is { } td)
        {
            var module = TcbEvaluation.ModuleIdentity(td.TeeTcbSvn.Span, tcbInfo);
            if (!td.MrSignerSeam.Span.SequenceEqual(module.MrSigner))
            {
                throw Mismatch($"the TD report's MRSIGNERSEAM {Convert.ToHexStringLower(td.MrSignerSeam.Span)} is not the TDX module signer in the TCB info");
            }

            if (td.SeamAttributes.Span.ContainsAnyExcept((byte)0) || !td.SeamAttributes.Span.SequenceEqual(module.Attributes))
            {
                throw Mismatch($"the TD report's SEAMATTRIBUTES {Convert.ToHexStringLower(td.SeamAttributes.Span)} are not zero and equal to the TDX module attributes in the TCB info");
            }
        }
    }

    private static ChainResult VerifySigned(string text, byte[] signature, string issuerChain, X509Certificate2Collection roots, DateTimeOffset at, string what)
    {
        var certificates = PemCertificates.Read(issuerChain, $"{what} issuer chain");
        var signer = certificates[0];
        if (!signer.GetNameInfo(X509NameType.SimpleName, forIssuer: false).Contains("TCB Signing", StringComparison.Ordinal))
        {
            throw new AttestationException(AttestationFailureReason.BrokenChain,
                $"the {what} is signed by '{signer.Subject}', which is not an Intel SGX TCB Signing certificate");
        }

        var chain = CertificateChains.Verify(signer, certificates.Skip(1), roots, at, $"{what} signing");
        if (signature.Length != P256.RawSignatureSize)
        {
            throw AttestationException.Malformed($"the {what} signature must be {P256.RawSignatureSize} bytes (r‖s), not {signature.Length}");
        }

        using var key = P256.KeyOf(chain.Certificates[0], $"{what} signing");
        if (!P256.Verify(key, Encoding.UTF8.GetBytes(text), signature))
        {
            throw new AttestationException(AttestationFailureReason.BadSignature,
                $"the {what} signature does not verify with the key of '{chain.Certificates[0].Subject}': the {what} text was changed or does not belong to this signature");
        }

        return chain;
    }

    private static void CheckNotRevoked(RevocationList crl, IEnumerable<X509Certificate2> certificates, string what)
    {
        foreach (var certificate in certificates)
        {
            crl.CheckNotRevoked(certificate, what);
        }
    }

    private static AttestationException Mismatch(string message) => new(AttestationFailureReason.CollateralMismatch, message);
}
