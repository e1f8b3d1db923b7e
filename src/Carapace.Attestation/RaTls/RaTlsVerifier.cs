namespace Carapace.Attestation.RaTls;

/// <summary>
/// Verifies an RA-TLS certificate (PEM or DER): the certificate is within its validity and self-signed, the
/// evidence it carries is verified by the inner verifier for its kind (SGX or TDX quote, SEV-SNP report, or Carapace
/// simulation evidence, which the inner registry accepts only for trusted simulation quoting keys) and binds the
/// certificate's public key (see <see cref="RaTlsEvidence.CheckBinding(ReadOnlySpan{byte}, ReadOnlySpan{byte}, bool)"/>;
/// TDX and SEV-SNP evidence may bind it through Carapace's <see cref="Tee.WorkloadBinding"/>, whose workload becomes
/// <see cref="AttestationResult.Workload"/>). The result carries the inner result's measurements,
/// <see cref="AttestationResult.PublicKey"/> = the certificate's SubjectPublicKeyInfo and
/// <see cref="AttestationResult.Inner"/> = the quote's own result.
/// </summary>
/// <remarks>
/// The inner registry holds the quote verifiers; an application's full registry can then include this verifier:
/// <c>var quotes = new EvidenceVerifiers([sgx, tdx]); var all = new EvidenceVerifiers([sgx, tdx, new RaTlsVerifier(quotes)]);</c>
/// When a certificate carries several evidence extensions, the CCC format is verified in preference to Gramine's
/// legacy one.
/// </remarks>
public sealed class RaTlsVerifier : EvidenceVerifier
{
    private readonly EvidenceVerifiers _quotes;

    /// <summary>Creates the verifier; <paramref name="quoteVerifiers"/> verifies the quotes found in certificates.</summary>
    public RaTlsVerifier(EvidenceVerifiers quoteVerifiers)
    {
        ArgumentNullException.ThrowIfNull(quoteVerifiers);
        _quotes = quoteVerifiers;
    }

    /// <inheritdoc />
    public override EvidenceKind Kind => EvidenceKind.RaTls;

    /// <inheritdoc />
    protected override VerifiedClaims VerifyCore(ReadOnlyMemory<byte> evidence, VerificationOptions options)
    {
        var certificate = RaTlsCertificate.Parse(evidence);
        var now = options.Now;
        certificate.CheckValidity(now);
        certificate.VerifySignature();

        if (certificate.Evidence.Count == 0)
        {
            throw AttestationException.Malformed(
                $"the certificate '{certificate.Subject}' carries no attestation evidence (no extension {RaTlsOids.TcgDiceTaggedEvidence} or {RaTlsOids.GramineQuote}); it is not an RA-TLS certificate");
        }

        var chosen = certificate.Evidence.FirstOrDefault(e => e.Unsupported is null)
            ?? throw new AttestationException(AttestationFailureReason.UnsupportedVersion, certificate.Evidence[0].Unsupported!);
        var quoteKind = chosen.QuoteKind
            ?? throw new AttestationException(AttestationFailureReason.UnsupportedVersion,
                $"the evidence in extension {chosen.Oid} is not an Intel SGX or TDX quote Carapace recognises (quote version, TEE type or body type)");
        if (quoteKind == EvidenceKind.SevSnp && chosen.Format != RaTlsEvidenceFormat.TcgDiceTaggedEvidence)
        {
            throw new AttestationException(AttestationFailureReason.UnsupportedVersion, "SEV-SNP reports are read from the CCC format only");
        }

        var innerOptions = new VerificationOptions
        {
            At = now,
            TimeProvider = options.TimeProvider,
            Roots = options.Roots,
            DcapCollateral = options.DcapCollateral,
            SnpCollateral = options.SnpCollateral,
            SimulationQuotingKeys = options.SimulationQuotingKeys,
        };
        var inner = _quotes.Verify(quoteKind, chosen.Evidence, innerOptions);
        if (inner.Failure is { } failure)
        {
            throw new AttestationException(failure.Reason, $"the {EvidenceKinds.Name(quoteKind)} {(quoteKind == EvidenceKind.Simulation ? "evidence" : "quote")} in the RA-TLS certificate was rejected: {failure.Message}");
        }

        if (inner.Kind != quoteKind)
        {
            throw new AttestationException(AttestationFailureReason.UnsupportedVersion,
                $"the verifier for {EvidenceKinds.Name(quoteKind)} quotes returned a {EvidenceKinds.Name(inner.Kind)} result");
        }

        // A VM-wide TEE measures the VM, not the code that asked: Carapace binds that code's measurement too (workload).
        var workload = chosen.CheckBinding(inner.ReportData.Span, certificate.SubjectPublicKeyInfo.Span,
            allowWorkload: quoteKind is EvidenceKind.Tdx or EvidenceKind.SevSnp);

        var claims = new List<Claim>
        {
            Claim.Of("format", chosen.Format == RaTlsEvidenceFormat.TcgDiceTaggedEvidence ? "tcg-dice-tagged-evidence" : "gramine-legacy"),
            Claim.Of("extension", chosen.Oid),
            Claim.Of("publicKeySha256", System.Security.Cryptography.SHA256.HashData(certificate.SubjectPublicKeyInfo.Span)),
        };
        if (!chosen.Nonce.IsEmpty)
        {
            claims.Add(Claim.Of("nonce", chosen.Nonce.Span));
        }

        if (!workload.IsEmpty)
        {
            claims.Add(Claim.Of("workload", workload.Span));
        }

        claims.Add(Claim.Group(EvidenceKinds.Name(inner.Kind), inner.Claims));

        return new VerifiedClaims
        {
            Kind = EvidenceKind.RaTls,
            Insecure = inner.Insecure,
            Debug = inner.Debug,
            Measurement = inner.Measurement,
            Signer = inner.Signer,
            ProductId = inner.ProductId,
            SecurityVersion = inner.SecurityVersion,
            ReportData = inner.ReportData,
            PublicKey = certificate.SubjectPublicKeyInfo,
            Workload = workload,
            TcbStatus = inner.TcbStatus,
            Advisories = inner.Advisories,
            Claims = claims,
            ValidFrom = Later(inner.ValidFrom, certificate.NotBefore),
            ValidUntil = Earlier(inner.ValidUntil, certificate.NotAfter),
            Inner = inner,
        };
    }

    private static DateTimeOffset Later(DateTimeOffset? a, DateTimeOffset b) => a is { } x && x > b ? x : b;

    private static DateTimeOffset Earlier(DateTimeOffset? a, DateTimeOffset b) => a is { } x && x < b ? x : b;
}
