using System.Formats.Cbor;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Carapace.Attestation.RaTls;

/// <summary>
/// Issues RA-TLS certificates in the CCC interoperable format: a self-signed ECDSA P-256 certificate whose extension
/// <c>tcg-dice-tagged-evidence</c> (2.23.133.5.4.9) holds the CBOR <c>tag([evidence, claims-buffer])</c>. The claims
/// buffer is the CBOR map <c>{"pubkey-hash": h'[1, SHA-256(SubjectPublicKeyInfo)]', "nonce": bstr}</c> and the
/// evidence binds report data <c>SHA-256(claims-buffer) ‖ 32 zero bytes</c> — exactly what
/// <see cref="RaTlsEvidence.CheckBinding(ReadOnlySpan{byte}, ReadOnlySpan{byte})"/> verifies (an issuer for a workload in a
/// confidential VM wraps them with <see cref="Tee.WorkloadBinding"/>). Intel SGX/TDX quotes use tag
/// <see cref="RaTlsEvidence.IntelQuoteTag"/>; AMD SEV-SNP reports the private tag <see cref="RaTlsEvidence.SnpReportTag"/>;
/// Carapace simulation evidence (insecure) the private tag <see cref="RaTlsEvidence.SimulationEvidenceTag"/>.
/// </summary>
/// <remarks>
/// The <c>pubkey-hash</c> value is the CBOR hash entry wrapped in a byte string, as the CCC document specifies
/// (Carapace's verifier also reads the bare array). The certificate is valid from five minutes before now (clock skew between the two ends) to
/// now + validity, is not a CA, and allows digital signatures for TLS server and client authentication.
/// </remarks>
public static class RaTlsCertificateFactory
{
    /// <summary>The longest nonce claim accepted, in bytes.</summary>
    public const int MaxNonceBytes = 1024;

    private const int Sha256HashAlgorithmId = 1;
    private const string P256Oid = "1.2.840.10045.3.1.7";
    private static readonly TimeSpan s_backdate = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Creates an RA-TLS certificate for <paramref name="key"/>: asks <paramref name="issuer"/> for evidence over the
    /// claims (the key's hash and <paramref name="nonce"/>) and returns the self-signed certificate <b>with</b> the
    /// private key attached, ready to present in TLS. The caller disposes both the certificate and the key.
    /// </summary>
    /// <param name="key">The ECDSA P-256 key the certificate is for (and is signed with).</param>
    /// <param name="issuer">Produces the evidence: an SGX/TDX quote issuer or the simulation issuer.</param>
    /// <param name="nonce">The verifier's nonce to bind (0 to <see cref="MaxNonceBytes"/> bytes; empty omits the claim).</param>
    /// <param name="subjectCommonName">The subject's common name.</param>
    /// <param name="validity">How long the certificate is valid from now (more than zero).</param>
    /// <param name="timeProvider">The clock; the system clock by default.</param>
    /// <param name="cancellationToken">Cancels the evidence request.</param>
    /// <exception cref="ArgumentException">The key is not P-256, the nonce is too long, the validity is not positive, or the
    /// issuer produces a kind of evidence that has no tag (only SGX, TDX, SEV-SNP and simulation do).</exception>
    /// <exception cref="AttestationException">The issuer cannot produce evidence (for example no TEE hardware).</exception>
    public static async Task<X509Certificate2> CreateAsync(
        ECDsa key,
        IEvidenceIssuer issuer,
        ReadOnlyMemory<byte> nonce,
        string subjectCommonName,
        TimeSpan validity,
        TimeProvider? timeProvider = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(issuer);
        ArgumentException.ThrowIfNullOrEmpty(subjectCommonName);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(validity, TimeSpan.Zero);
        if (nonce.Length > MaxNonceBytes)
        {
            throw new ArgumentException($"the nonce is {nonce.Length} bytes; at most {MaxNonceBytes} are bound", nameof(nonce));
        }

        if (key.ExportParameters(includePrivateParameters: false).Curve.Oid?.Value != P256Oid)
        {
            throw new ArgumentException("RA-TLS certificates are issued for ECDSA P-256 keys only", nameof(key));
        }

        TagFor(issuer.Kind);
        var claims = ClaimsBuffer(key.ExportSubjectPublicKeyInfo(), nonce.Span);
        var evidence = await issuer.IssueAsync(ReportDataFor(claims), cancellationToken).ConfigureAwait(false);
        var extension = EvidenceExtension(evidence, claims);

        var name = new X500DistinguishedNameBuilder();
        name.AddCommonName(subjectCommonName);
        var request = new CertificateRequest(name.Build(), key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: false, hasPathLengthConstraint: false, 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], critical: false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
        request.CertificateExtensions.Add(extension);

        var now = (timeProvider ?? TimeProvider.System).GetUtcNow();
        return request.CreateSelfSigned(now - s_backdate, now + validity);
    }

    /// <summary>
    /// The claims buffer: the canonical CBOR map <c>{"nonce": bstr, "pubkey-hash": bstr .cbor [1, SHA-256(spki)]}</c>
    /// (<c>nonce</c> only when not empty).
    /// </summary>
    public static byte[] ClaimsBuffer(ReadOnlySpan<byte> subjectPublicKeyInfo, ReadOnlySpan<byte> nonce)
    {
        var entry = new CborWriter(CborConformanceMode.Canonical);
        entry.WriteStartArray(2);
        entry.WriteUInt32(Sha256HashAlgorithmId);
        entry.WriteByteString(SHA256.HashData(subjectPublicKeyInfo));
        entry.WriteEndArray();

        var writer = new CborWriter(CborConformanceMode.Canonical);
        writer.WriteStartMap(nonce.IsEmpty ? 1 : 2);
        if (!nonce.IsEmpty)
        {
            writer.WriteTextString("nonce");
            writer.WriteByteString(nonce);
        }

        writer.WriteTextString("pubkey-hash");
        writer.WriteByteString(entry.Encode());
        writer.WriteEndMap();
        return writer.Encode();
    }

    /// <summary>The report data the evidence must bind for <paramref name="claimsBuffer"/>: SHA-256 of it, then 32 zero bytes.</summary>
    public static byte[] ReportDataFor(ReadOnlySpan<byte> claimsBuffer)
    {
        var reportData = new byte[ReportData.Size];
        SHA256.HashData(claimsBuffer, reportData);
        return reportData;
    }

    /// <summary>The non-critical <c>tcg-dice-tagged-evidence</c> extension holding <c>tag([evidence, claims-buffer])</c>.</summary>
    /// <exception cref="ArgumentException">The evidence kind has no tag (only SGX, TDX, SEV-SNP and simulation do).</exception>
    public static X509Extension EvidenceExtension(Evidence evidence, ReadOnlySpan<byte> claimsBuffer)
    {
        ArgumentNullException.ThrowIfNull(evidence);
        var writer = new CborWriter(CborConformanceMode.Canonical);
        writer.WriteTag((CborTag)TagFor(evidence.Kind));
        writer.WriteStartArray(2);
        writer.WriteByteString(evidence.Bytes.Span);
        writer.WriteByteString(claimsBuffer);
        writer.WriteEndArray();
        return new X509Extension(RaTlsOids.TcgDiceTaggedEvidence, writer.Encode(), critical: false);
    }

    private static ulong TagFor(EvidenceKind kind) => kind switch
    {
        EvidenceKind.Sgx or EvidenceKind.Tdx => RaTlsEvidence.IntelQuoteTag,
        EvidenceKind.SevSnp => RaTlsEvidence.SnpReportTag,
        EvidenceKind.Simulation => RaTlsEvidence.SimulationEvidenceTag,
        _ => throw new ArgumentException(
            $"{EvidenceKinds.Name(kind)} evidence cannot be carried in a CCC RA-TLS certificate by Carapace (only sgx, tdx, snp and sim)", nameof(kind)),
    };
}
