using System.Security.Cryptography.X509Certificates;
using Carapace.Attestation;
using Carapace.Cli.Infrastructure;

namespace Carapace.Cli.Attestation;

/// <summary>
/// Reads <c>--collateral PATH</c> for the kind of evidence being verified: DCAP collateral (a JSON file or a folder
/// of PCS responses) for SGX, TDX and RA-TLS; the VCEK certificate (optionally with the ASK and ARK) for SEV-SNP.
/// </summary>
internal static class CollateralFiles
{
    /// <summary>
    /// Reads the collateral at <paramref name="path"/> for <paramref name="kind"/> evidence. Usage mistakes (collateral
    /// for a kind that takes none, a folder where a file is needed, missing files) are <see cref="CliFailure"/>s;
    /// collateral that is present but damaged throws <see cref="AttestationException"/>, a rejection.
    /// </summary>
    public static (DcapCollateral? Dcap, SnpCollateral? Snp) Read(EvidenceKind kind, string path) => kind switch
    {
        EvidenceKind.Sgx or EvidenceKind.Tdx or EvidenceKind.RaTls => (Dcap(path), null),
        EvidenceKind.SevSnp => (null, Vcek(path)),
        _ => throw new CliFailure($"--collateral is not used for {EvidenceKinds.Name(kind)} evidence; leave it out", ExitCodes.Usage),
    };

    private static DcapCollateral Dcap(string path)
    {
        if (Directory.Exists(path))
        {
            return PcsCollateralFolder.Load(path);
        }

        var json = CertificateFiles.ReadFile(path, "collateral file");
        try
        {
            return DcapCollateral.Parse(json);
        }
        catch (AttestationException e)
        {
            throw new AttestationException(e.Reason, $"{path}: {e.Failure.Message}");
        }
    }

    /// <summary>The VCEK (the one certificate that is not a CA) and the others as intermediates.</summary>
    private static SnpCollateral Vcek(string path)
    {
        if (Directory.Exists(path))
        {
            throw new CliFailure($"for SEV-SNP evidence --collateral is the VCEK certificate file (DER or PEM), not a folder: {path}", ExitCodes.Usage);
        }

        var certificates = CertificateFiles.TryRead(path, "collateral file")
            ?? throw new AttestationException(AttestationFailureReason.Malformed,
                $"{path} holds no X.509 certificate; give the VCEK as DER or PEM (as AMD KDS serves it)");
        var vcek = certificates.Cast<X509Certificate2>().FirstOrDefault(c => !IsCa(c))
            ?? throw new AttestationException(AttestationFailureReason.CollateralMismatch,
                $"{path} holds only CA certificates (ASK/ARK); add the VCEK for the reporting chip");
        var intermediates = new X509Certificate2Collection();
        foreach (var certificate in certificates)
        {
            if (!ReferenceEquals(certificate, vcek))
            {
                intermediates.Add(certificate);
            }
        }

        return new SnpCollateral(vcek, intermediates);
    }

    private static bool IsCa(X509Certificate2 certificate) =>
        certificate.Extensions.OfType<X509BasicConstraintsExtension>().Any(b => b.CertificateAuthority);
}
