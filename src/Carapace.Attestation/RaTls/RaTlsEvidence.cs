using System.Formats.Cbor;
using System.Security.Cryptography;

namespace Carapace.Attestation.RaTls;

/// <summary>
/// One piece of evidence found in an RA-TLS certificate, with what is needed to check that it binds the
/// certificate's public key. Produced by <see cref="RaTlsCertificate"/>.
/// </summary>
public sealed class RaTlsEvidence
{
    /// <summary>CBOR tag of an Intel SGX/TDX ECDSA quote in the CCC interoperable RA-TLS format.</summary>
    public const ulong IntelQuoteTag = 60000;

    /// <summary>
    /// CBOR tag of <b>Carapace simulation evidence (insecure)</b> in the CCC format's place of a quote: a Carapace-private,
    /// unregistered tag, so that simulated enclaves (and the KMS in simulation) can use the same RA-TLS certificates as
    /// hardware ones. The evidence is verified by the simulation verifier, which accepts it only for a trusted
    /// simulation quoting key and marks the result insecure.
    /// </summary>
    public const ulong SimulationEvidenceTag = 60100;

    /// <summary>
    /// CBOR tag of an <b>AMD SEV-SNP attestation report</b> (1184 bytes, optionally followed by the certificate table
    /// of an extended report, which carries the VCEK) in the CCC format's place of a quote: a Carapace-private,
    /// unregistered tag, since the CCC document names no SEV-SNP format.
    /// </summary>
    public const ulong SnpReportTag = 60101;

    private const int BoundHashSize = 32;

    private RaTlsEvidence(RaTlsEvidenceFormat format, string oid)
    {
        Format = format;
        Oid = oid;
    }

    /// <summary>How the certificate carries this evidence.</summary>
    public RaTlsEvidenceFormat Format { get; }

    /// <summary>The extension's object identifier, as written in the certificate.</summary>
    public string Oid { get; }

    /// <summary>The evidence itself (an Intel quote, an SEV-SNP report, or Carapace simulation evidence, for the supported formats; the raw extension value otherwise).</summary>
    public ReadOnlyMemory<byte> Evidence { get; private init; }

    /// <summary>For <see cref="RaTlsEvidenceFormat.TcgDiceTaggedEvidence"/>: the claims buffer (CBOR map) whose SHA-256 the quote binds; empty otherwise.</summary>
    public ReadOnlyMemory<byte> ClaimsBuffer { get; private init; }

    /// <summary>The <c>nonce</c> claim when present (pre-session freshness); empty otherwise.</summary>
    public ReadOnlyMemory<byte> Nonce { get; private init; }

    /// <summary>
    /// The kind of evidence in <see cref="Evidence"/>: read from the quote header for tag <see cref="IntelQuoteTag"/>,
    /// <see cref="EvidenceKind.Simulation"/> for tag <see cref="SimulationEvidenceTag"/>, <see cref="EvidenceKind.SevSnp"/>
    /// for tag <see cref="SnpReportTag"/>; null when not recognised.
    /// </summary>
    public EvidenceKind? QuoteKind { get; private init; }

    /// <summary>Why this evidence cannot be verified by Carapace, or null when it can.</summary>
    public string? Unsupported { get; private init; }

    private HashAlgorithmName PublicKeyHashAlgorithm { get; init; }

    private ReadOnlyMemory<byte> PublicKeyHash { get; init; }

    /// <summary>
    /// Checks that <paramref name="reportData"/> (from the verified quote) binds <paramref name="subjectPublicKeyInfo"/>:
    /// for the CCC format, REPORTDATA[0..32] = SHA-256(claims buffer) and the claims' <c>pubkey-hash</c> = hash of
    /// the key; for Gramine's legacy format, REPORTDATA[0..32] = SHA-256(key). Comparisons are constant-time.
    /// Throws <see cref="AttestationException"/> (<see cref="AttestationFailureReason.ReportDataMismatch"/>) otherwise.
    /// </summary>
    public void CheckBinding(ReadOnlySpan<byte> reportData, ReadOnlySpan<byte> subjectPublicKeyInfo) =>
        CheckBinding(reportData, subjectPublicKeyInfo, allowWorkload: false);

    /// <summary>
    /// Like <see cref="CheckBinding(ReadOnlySpan{byte}, ReadOnlySpan{byte})"/>, and, when <paramref name="allowWorkload"/>
    /// is set (evidence of a VM-wide TEE: TDX, SEV-SNP), also accepts Carapace's workload binding
    /// (<see cref="Tee.WorkloadBinding"/>) of <c>SHA-256(claims buffer) ‖ 32 zero bytes</c> in the CCC format. Returns
    /// the workload measurement so bound, or empty for the plain binding.
    /// </summary>
    public ReadOnlyMemory<byte> CheckBinding(ReadOnlySpan<byte> reportData, ReadOnlySpan<byte> subjectPublicKeyInfo, bool allowWorkload)
    {
        if (Unsupported is not null)
        {
            throw new AttestationException(AttestationFailureReason.UnsupportedVersion, Unsupported);
        }

        if (reportData.Length < BoundHashSize)
        {
            throw new AttestationException(AttestationFailureReason.ReportDataMismatch,
                $"the quote's report data is {reportData.Length} bytes; RA-TLS binds a 32-byte hash in it");
        }

        Span<byte> bound = stackalloc byte[BoundHashSize];
        if (Format == RaTlsEvidenceFormat.TcgDiceTaggedEvidence)
        {
            SHA256.HashData(ClaimsBuffer.Span, bound);
            byte[] workload = [];
            if (!CryptographicOperations.FixedTimeEquals(bound, reportData[..BoundHashSize])
                && !(allowWorkload && Tee.WorkloadBinding.TryOpen(reportData, RaTlsCertificateFactory.ReportDataFor(ClaimsBuffer.Span), out workload)))
            {
                throw new AttestationException(AttestationFailureReason.ReportDataMismatch,
                    allowWorkload
                        ? "the evidence's report data bind neither SHA-256 of the certificate's claims buffer nor a Carapace workload with it: the claims (public key hash, nonce) were not produced by the attested code"
                        : "the quote's REPORTDATA[0..32] is not SHA-256 of the certificate's claims buffer: the claims (public key hash, nonce) were not produced by the attested enclave");
            }

            var keyHash = PublicKeyHashAlgorithm.Name switch
            {
                "SHA384" => SHA384.HashData(subjectPublicKeyInfo),
                "SHA512" => SHA512.HashData(subjectPublicKeyInfo),
                _ => SHA256.HashData(subjectPublicKeyInfo),
            };
            if (!CryptographicOperations.FixedTimeEquals(keyHash, PublicKeyHash.Span))
            {
                throw new AttestationException(AttestationFailureReason.ReportDataMismatch,
                    "the claims buffer's pubkey-hash is not the hash of the certificate's public key: the attested enclave vouches for another key");
            }

            return workload;
        }

        SHA256.HashData(subjectPublicKeyInfo, bound);
        if (!CryptographicOperations.FixedTimeEquals(bound, reportData[..BoundHashSize]))
        {
            throw new AttestationException(AttestationFailureReason.ReportDataMismatch,
                "the quote's REPORTDATA[0..32] is not SHA-256 of the certificate's public key: the attested enclave vouches for another key");
        }

        return ReadOnlyMemory<byte>.Empty;
    }

    /// <summary>Reads a <c>tcg-dice-tagged-evidence</c> extension value (CBOR, no DER wrapper).</summary>
    internal static RaTlsEvidence FromTaggedEvidence(string oid, ReadOnlyMemory<byte> value)
    {
        try
        {
            var reader = new CborReader(value, CborConformanceMode.Strict);
            if (reader.PeekState() != CborReaderState.Tag)
            {
                throw AttestationException.Malformed("the tcg-dice-tagged-evidence extension does not start with a CBOR tag naming the evidence format");
            }

            var tag = (ulong)reader.ReadTag();
            if (tag is not (IntelQuoteTag or SimulationEvidenceTag or SnpReportTag))
            {
                return new RaTlsEvidence(RaTlsEvidenceFormat.TcgDiceTaggedEvidence, oid)
                {
                    Evidence = value,
                    Unsupported = tag is 60001 or 60002
                        ? $"the RA-TLS evidence is an SGX/TDX local report (CBOR tag {tag}), which only another enclave on the same machine can verify; it needs a quote (tag {IntelQuoteTag})"
                        : $"the RA-TLS evidence format with CBOR tag {tag} is not supported (Carapace verifies Intel quotes, tag {IntelQuoteTag}, SEV-SNP reports, tag {SnpReportTag}, and its own simulation evidence, tag {SimulationEvidenceTag})",
                };
            }

            if (reader.ReadStartArray() != 2)
            {
                throw AttestationException.Malformed("the RA-TLS evidence must be a CBOR array of two items: [quote, claims-buffer]");
            }

            var quote = reader.ReadByteString();
            var claims = reader.ReadByteString();
            reader.ReadEndArray();
            if (reader.BytesRemaining != 0)
            {
                throw AttestationException.Malformed($"the tcg-dice-tagged-evidence extension has {reader.BytesRemaining} bytes after its CBOR value");
            }

            var (algorithm, hash, nonce) = ReadClaims(claims);
            return new RaTlsEvidence(RaTlsEvidenceFormat.TcgDiceTaggedEvidence, oid)
            {
                Evidence = quote,
                ClaimsBuffer = claims,
                Nonce = nonce,
                QuoteKind = tag switch
                {
                    SimulationEvidenceTag => EvidenceKind.Simulation,
                    SnpReportTag => EvidenceKind.SevSnp,
                    _ => EvidenceDetector.IntelQuoteKind(quote),
                },
                PublicKeyHashAlgorithm = algorithm,
                PublicKeyHash = hash,
            };
        }
        catch (Exception e) when (e is CborContentException or InvalidOperationException or OverflowException or System.Text.DecoderFallbackException)
        {
            throw AttestationException.Malformed($"the tcg-dice-tagged-evidence extension is not valid CBOR of the form tag({IntelQuoteTag}, [quote, claims-buffer]) ({e.Message})");
        }
    }

    /// <summary>Gramine's legacy extension: the raw quote.</summary>
    internal static RaTlsEvidence FromGramineQuote(string oid, ReadOnlyMemory<byte> value) =>
        new(RaTlsEvidenceFormat.GramineLegacy, oid) { Evidence = value, QuoteKind = EvidenceDetector.IntelQuoteKind(value.Span) };

    /// <summary>An Open Enclave extension: recognised so the rejection can say what it is.</summary>
    internal static RaTlsEvidence FromOpenEnclave(string oid, ReadOnlyMemory<byte> value) =>
        new(RaTlsEvidenceFormat.OpenEnclave, oid)
        {
            Evidence = value,
            Unsupported = $"the certificate carries Open Enclave evidence (extension {oid}), whose header and key binding Carapace does not verify; issue the certificate in the CCC interoperable RA-TLS format (extension {RaTlsOids.TcgDiceTaggedEvidence})",
        };

    private static (HashAlgorithmName Algorithm, byte[] Hash, byte[] Nonce) ReadClaims(byte[] claims)
    {
        var reader = new CborReader(claims, CborConformanceMode.Strict);
        var count = reader.ReadStartMap();
        (HashAlgorithmName, byte[])? publicKeyHash = null;
        byte[] nonce = [];
        for (var i = 0; count is null ? reader.PeekState() != CborReaderState.EndMap : i < count; i++)
        {
            var name = reader.ReadTextString();
            switch (name)
            {
                case "pubkey-hash":
                    // The CCC document makes the value a bstr wrapping the CBOR hash-entry; accept the bare array too.
                    publicKeyHash = reader.PeekState() == CborReaderState.ByteString
                        ? ReadHashEntry(new CborReader(reader.ReadByteString(), CborConformanceMode.Strict), wrapped: true)
                        : ReadHashEntry(reader, wrapped: false);
                    break;
                case "nonce":
                    nonce = reader.ReadByteString();
                    break;
                default:
                    reader.SkipValue();
                    break;
            }
        }

        reader.ReadEndMap();
        if (reader.BytesRemaining != 0)
        {
            throw AttestationException.Malformed($"the RA-TLS claims buffer has {reader.BytesRemaining} bytes after its CBOR map");
        }

        var (algorithm, hash) = publicKeyHash
            ?? throw AttestationException.Malformed("the RA-TLS claims buffer has no 'pubkey-hash' claim, so it does not say which key the enclave vouches for");
        return (algorithm, hash, nonce);
    }

    private static (HashAlgorithmName, byte[]) ReadHashEntry(CborReader reader, bool wrapped)
    {
        if (reader.ReadStartArray() != 2)
        {
            throw AttestationException.Malformed("the RA-TLS pubkey-hash must be a CBOR array [hash-alg-id, hash-value]");
        }

        var id = reader.ReadUInt64();
        var hash = reader.ReadByteString();
        reader.ReadEndArray();
        if (wrapped && reader.BytesRemaining != 0)
        {
            throw AttestationException.Malformed("the RA-TLS pubkey-hash has bytes after its hash entry");
        }

        // Named-information hash algorithm ids (IANA): 1 sha-256, 7 sha-384, 8 sha-512.
        var (algorithm, size) = id switch
        {
            1 => (HashAlgorithmName.SHA256, 32),
            7 => (HashAlgorithmName.SHA384, 48),
            8 => (HashAlgorithmName.SHA512, 64),
            _ => throw new AttestationException(AttestationFailureReason.UnsupportedVersion,
                $"the RA-TLS pubkey-hash uses hash algorithm id {id}; Carapace supports 1 (sha-256), 7 (sha-384) and 8 (sha-512)"),
        };
        if (hash.Length != size)
        {
            throw AttestationException.Malformed($"the RA-TLS pubkey-hash is {hash.Length} bytes, but {algorithm.Name} hashes are {size}");
        }

        return (algorithm, hash);
    }
}
