using System.Security.Cryptography.X509Certificates;

namespace Carapace.Attestation.Dcap;

/// <summary>
/// The PCK certificate chain a quote carries (certification data type 5), verified to a pinned Intel root, and the
/// TCB values read from the PCK leaf's SGX extension.
/// </summary>
internal sealed class PckChain
{
    public const ushort PemChainCertificationDataType = 5;

    private PckChain(ChainResult chain, PckExtension extension)
    {
        Chain = chain;
        Extension = extension;
    }

    public ChainResult Chain { get; }

    public PckExtension Extension { get; }

    /// <summary>The PCK certificate whose key signs the QE report.</summary>
    public X509Certificate2 Leaf => Chain.Certificates[0];

    /// <summary>The CA that issued the PCK certificate (Intel SGX PCK Processor or Platform CA) and signs the PCK CRL.</summary>
    public X509Certificate2 Issuer => Chain.Certificates[1];

    /// <summary>The pinned root the chain ends in; it signs the root CA CRL.</summary>
    public X509Certificate2 Root => Chain.Certificates[^1];

    /// <summary>Reads the chain from <paramref name="quote"/> and verifies it to <paramref name="roots"/> at <paramref name="at"/>.</summary>
    public static PckChain Verify(DcapQuote quote, X509Certificate2Collection roots, DateTimeOffset at)
    {
        if (quote.CertificationDataType != PemChainCertificationDataType)
        {
            throw new AttestationException(AttestationFailureReason.UnsupportedVersion,
                $"the quote carries certification data type {quote.CertificationDataType}, not {PemChainCertificationDataType} (the PEM PCK certificate chain); "
                + "types 1-4 need the PCK certificate fetched from Intel PCS or a PCCS, which Carapace does not do");
        }

        var certificates = PemCertificates.Read(quote.CertificationData.Span, "PCK certificate chain in the quote");
        if (certificates.Count < 2)
        {
            throw new AttestationException(AttestationFailureReason.BrokenChain,
                "the quote's PCK certificate chain has only the PCK certificate; the issuing CA is missing");
        }

        var leaf = certificates[0];
        if (!leaf.GetNameInfo(X509NameType.SimpleName, forIssuer: false).Contains("SGX PCK Certificate", StringComparison.Ordinal))
        {
            throw new AttestationException(AttestationFailureReason.BrokenChain,
                $"the first certificate of the quote's chain, '{leaf.Subject}', is not an Intel SGX PCK certificate");
        }

        var chain = CertificateChains.Verify(leaf, certificates.Skip(1), roots, at, "PCK");
        if (chain.Certificates.Count < 2)
        {
            throw new AttestationException(AttestationFailureReason.BrokenChain, "the PCK certificate is itself a trusted root, which Intel never issues");
        }

        return new PckChain(chain, PckExtension.Read(chain.Certificates[0]));
    }
}
