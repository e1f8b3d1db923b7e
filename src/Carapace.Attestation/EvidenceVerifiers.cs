using System.Diagnostics.CodeAnalysis;

namespace Carapace.Attestation;

/// <summary>
/// The verifiers an application knows, by evidence kind. Verifiers plug in through the constructor, so a build can
/// offer any subset (a kind without a verifier is rejected as <see cref="AttestationFailureReason.UnsupportedVersion"/>).
/// Like every verifier, the registry never throws for bad evidence: every problem is a rejected result.
/// </summary>
public sealed class EvidenceVerifiers
{
    private readonly Dictionary<EvidenceKind, IEvidenceVerifier> _verifiers = [];

    /// <summary>Creates the registry; at most one verifier per kind.</summary>
    /// <exception cref="ArgumentException">Two verifiers claim the same kind.</exception>
    public EvidenceVerifiers(IEnumerable<IEvidenceVerifier> verifiers)
    {
        ArgumentNullException.ThrowIfNull(verifiers);
        foreach (var verifier in verifiers)
        {
            ArgumentNullException.ThrowIfNull(verifier, nameof(verifiers));
            if (!_verifiers.TryAdd(verifier.Kind, verifier))
            {
                throw new ArgumentException($"two verifiers are registered for {EvidenceKinds.Name(verifier.Kind)} evidence", nameof(verifiers));
            }
        }
    }

    /// <summary>The kinds this registry can verify.</summary>
    public IReadOnlyCollection<EvidenceKind> Kinds => _verifiers.Keys;

    /// <summary>
    /// Every verifier Carapace has: Intel SGX and TDX DCAP quotes, AMD SEV-SNP reports, AWS Nitro documents,
    /// simulation evidence (accepted only with trusted simulation quoting keys in the options), and RA-TLS
    /// certificates carrying SGX or TDX quotes, SEV-SNP reports or simulation evidence (the latter again only for
    /// trusted simulation quoting keys, and marked insecure).
    /// </summary>
    public static EvidenceVerifiers CreateDefault()
    {
        IEvidenceVerifier[] quotes = [new Dcap.SgxQuoteVerifier(), new Dcap.TdxQuoteVerifier(), new Snp.SnpReportVerifier(), new Simulation.SimulatedEvidenceVerifier()];
        return new EvidenceVerifiers(
        [
            .. quotes,
            new Nitro.NitroDocumentVerifier(),
            new RaTls.RaTlsVerifier(new EvidenceVerifiers(quotes)),
        ]);
    }

    /// <summary>
    /// The verifiers of what a Carapace service presents about itself: an RA-TLS certificate carrying an Intel TDX
    /// quote, an AMD SEV-SNP report or simulation evidence, the backends a KMS runs on (<c>--tee tdx|snp|sim</c>).
    /// The KMS's clients need no more, so the enclave, which is one, carries no SGX or Nitro verifier: the native
    /// binary contains only what it can reach.
    /// </summary>
    public static EvidenceVerifiers CreateForServices()
    {
        IEvidenceVerifier[] quotes = [new Dcap.TdxQuoteVerifier(), new Snp.SnpReportVerifier(), new Simulation.SimulatedEvidenceVerifier()];
        return new EvidenceVerifiers([new RaTls.RaTlsVerifier(new EvidenceVerifiers(quotes))]);
    }

    /// <summary>The verifier for <paramref name="kind"/>, if one is registered.</summary>
    public bool TryGet(EvidenceKind kind, [NotNullWhen(true)] out IEvidenceVerifier? verifier) => _verifiers.TryGetValue(kind, out verifier);

    /// <summary>Verifies <paramref name="evidence"/> as <paramref name="kind"/> evidence.</summary>
    public AttestationResult Verify(EvidenceKind kind, ReadOnlyMemory<byte> evidence, VerificationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!_verifiers.TryGetValue(kind, out var verifier))
        {
            return AttestationResult.Rejected(kind, AttestationFailureReason.UnsupportedVersion,
                $"no verifier for {EvidenceKinds.Name(kind)} evidence is configured in this Carapace build");
        }

        try
        {
            return verifier.Verify(evidence, options);
        }
        catch (AttestationException e)
        {
            return AttestationResult.Rejected(kind, e.Failure);
        }
    }

    /// <summary>
    /// Recognises the kind of <paramref name="evidence"/> with <see cref="EvidenceDetector.Detect"/> and verifies it
    /// (an SEV-SNP report given as hex text is decoded first). Unrecognised evidence is rejected as
    /// <see cref="AttestationFailureReason.Malformed"/>; that rejection's <see cref="AttestationResult.Kind"/> is
    /// meaningless, since no kind was found.
    /// </summary>
    public AttestationResult VerifyAuto(ReadOnlyMemory<byte> evidence, VerificationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (EvidenceDetector.Detect(evidence.Span) is not { } kind)
        {
            return AttestationResult.Rejected(EvidenceKind.Unknown, AttestationFailureReason.Malformed,
                "could not recognise the evidence format; pass --kind");
        }

        if (kind == EvidenceKind.SevSnp && EvidenceDetector.DecodeHex(evidence.Span) is { } binary)
        {
            evidence = binary;
        }

        return Verify(kind, evidence, options);
    }
}
