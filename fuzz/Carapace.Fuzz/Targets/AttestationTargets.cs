using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Carapace.Attestation;
using Carapace.Attestation.Dcap;
using Carapace.Attestation.Nitro;
using Carapace.Attestation.RaTls;
using Carapace.Attestation.Snp;

namespace Carapace.Fuzz.Targets;

/// <summary>
/// Attestation evidence and collateral: the KMS and clients read quotes, reports, documents and certificates that an
/// enclave (or whoever claims to be one) presents, and collateral that the untrusted host fetched.
/// </summary>
internal static class AttestationTargets
{
    /// <summary>A time inside the validity window of the real evidence in the corpus, so verification gets past the dates.</summary>
    private static readonly DateTimeOffset s_verificationTime = new(2025, 7, 1, 0, 0, 0, TimeSpan.Zero);

    private static readonly Lazy<EvidenceVerifiers> s_verifiers = new(EvidenceVerifiers.CreateDefault);

    public static IEnumerable<FuzzTarget> All()
    {
        Type[] attestation = [typeof(AttestationException)];
        yield return new FuzzTarget(
            "dcap-quote",
            "DcapQuote.Parse: Intel SGX (v3) and TDX (v4, v5) quotes with their signature data, QE report and certification data",
            input => DcapQuote.Parse(input),
            attestation);
        yield return new FuzzTarget(
            "snp-report",
            "SnpReport.Parse: AMD SEV-SNP attestation reports, raw or as hex text",
            input => SnpReport.Parse(input),
            attestation);
        yield return new FuzzTarget(
            "snp-vcek",
            "VcekCertificate.Read: an AMD VCEK certificate (DER) and its TCB extensions",
            input => VcekCertificate.Read(LoadCertificate(input)),
            [typeof(AttestationException), typeof(CryptographicException)]);
        yield return new FuzzTarget(
            "nitro-document",
            "NitroDocument.Parse: an AWS Nitro attestation document (COSE_Sign1, tagged or not, with its CBOR payload)",
            input => NitroDocument.Parse(input),
            attestation);
        yield return new FuzzTarget(
            "ratls-certificate",
            "RaTlsCertificate.Parse: an RA-TLS certificate (PEM or DER) and its evidence extensions (CCC, Gramine, Open Enclave)",
            input => RaTlsCertificate.Parse(input),
            attestation);
        yield return new FuzzTarget(
            "dcap-collateral",
            "DcapCollateral.Parse, then every part it carries as verification reads it: TCB info, QE identity, both CRLs, the PEM issuer chains",
            ParseCollateral,
            attestation);
        yield return new FuzzTarget(
            "tcb-info",
            "TcbInfo.Parse: Intel's signed tcbInfo JSON (SGX and TDX, versions 2 and 3)",
            input => TcbInfo.Parse(Encoding.UTF8.GetString(input)),
            attestation);
        yield return new FuzzTarget(
            "qe-identity",
            "QeIdentity.Parse: Intel's signed enclaveIdentity JSON",
            input => QeIdentity.Parse(Encoding.UTF8.GetString(input)),
            attestation);
        yield return new FuzzTarget(
            "dcap-crl",
            "RevocationList.Parse: a DER X.509 CRL from DCAP collateral",
            input => RevocationList.Parse(input, "CRL"),
            attestation);
        yield return new FuzzTarget(
            "dcap-pck-certificate",
            "PemCertificates.Read and PckExtension.Read: a PEM PCK chain as quotes carry it, and the Intel SGX extension of its leaf",
            input => PckExtension.Read(PemCertificates.Read(input, "PCK chain")[0]),
            attestation);
        yield return new FuzzTarget(
            "attestation-verify",
            "EvidenceVerifiers.VerifyAuto: detection and full verification of any evidence kind (never throws: every problem is a rejected result)",
            input => s_verifiers.Value.VerifyAuto(input, new VerificationOptions { At = s_verificationTime }),
            []);
    }

    private static X509Certificate2 LoadCertificate(byte[] der) => X509CertificateLoader.LoadCertificate(der);

    private static void ParseCollateral(byte[] input)
    {
        var collateral = DcapCollateral.Parse(input);
        TcbInfo.Parse(collateral.TcbInfo);
        QeIdentity.Parse(collateral.QeIdentity);
        RevocationList.Parse(collateral.PckCrl, "PCK CRL");
        RevocationList.Parse(collateral.RootCaCrl, "root CA CRL");
        PemCertificates.Read(collateral.TcbInfoIssuerChain, "TCB info issuer chain");
        PemCertificates.Read(collateral.QeIdentityIssuerChain, "QE identity issuer chain");
    }
}
