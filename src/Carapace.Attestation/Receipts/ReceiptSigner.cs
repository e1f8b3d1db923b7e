using System.Security.Cryptography;

namespace Carapace.Attestation.Receipts;

/// <summary>
/// An enclave's receipt key: a P-256 key that lives only in the enclave, and the evidence that binds it to the
/// enclave's measurement (report data = <see cref="ReportDataFor"/> of its public key). It signs one receipt per
/// invocation; the evidence is issued once, so a receipt costs one hash and one ECDSA signature. Not thread-safe: one
/// enclave serves one invocation at a time. Dispose it to free the private key (the native key memory is cleared).
/// </summary>
public sealed class ReceiptSigner : IDisposable
{
    private readonly ECDsa _key;
    private readonly byte[] _publicKey;
    private readonly IncrementalHash _sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

    /// <summary>Takes ownership of <paramref name="key"/> (ECDSA P-256) and the <paramref name="evidence"/> that binds it.</summary>
    /// <exception cref="ArgumentException">The key is not P-256.</exception>
    public ReceiptSigner(ECDsa key, Evidence evidence)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(evidence);
        if (key.KeySize != 256 || key.ExportParameters(includePrivateParameters: false).Curve.Oid?.Value != P256.CurveOid)
        {
            throw new ArgumentException("a receipt key is an ECDSA P-256 key", nameof(key));
        }

        _key = key;
        _publicKey = key.ExportSubjectPublicKeyInfo();
        Evidence = evidence;
    }

    /// <summary>The receipt key's public half, as DER SubjectPublicKeyInfo.</summary>
    public ReadOnlyMemory<byte> PublicKey => _publicKey;

    /// <summary>The evidence that binds <see cref="PublicKey"/>.</summary>
    public Evidence Evidence { get; }

    /// <summary>
    /// The report data that binds a receipt key: <c>SHA-256(SPKI DER of the key) ‖ SHA-256("carapace receipt key v1")</c>,
    /// i.e. <see cref="ReportData.Bind"/> with the fixed label in place of a nonce. The label keeps receipt evidence
    /// apart from evidence an enclave gives anyone else (e.g. the KMS, whose nonce is random).
    /// </summary>
    public static byte[] ReportDataFor(ReadOnlySpan<byte> signingKey) => ReportData.Bind(signingKey, KeyBindingContext);

    /// <summary>The label bound in the second half of receipt report data: "carapace receipt key v1".</summary>
    public static ReadOnlySpan<byte> KeyBindingContext => "carapace receipt key v1"u8;

    /// <summary>A signer with a fresh P-256 key and evidence for it from <paramref name="issuer"/>.</summary>
    /// <exception cref="AttestationException">The issuer cannot issue evidence here.</exception>
    public static async ValueTask<ReceiptSigner> CreateAsync(IEvidenceIssuer issuer, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(issuer);
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        try
        {
            var evidence = await issuer.IssueAsync(ReportDataFor(key.ExportSubjectPublicKeyInfo()), cancellationToken).ConfigureAwait(false);
            return new ReceiptSigner(key, evidence);
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }

    /// <summary>Signs <paramref name="body"/>: the encoded receipt, with this signer's key and evidence in it.</summary>
    /// <exception cref="ArgumentException">A field of <paramref name="body"/> is outside what the format allows (hash or measurement sizes, negative counts).</exception>
    public byte[] Sign(ReceiptBody body)
    {
        var encoded = ReceiptFormat.EncodeBody(body, _publicKey);
        Span<byte> hash = stackalloc byte[ReceiptFormat.HashSize];
        ReceiptFormat.HashForSignature(_sha256, encoded, hash);
        Span<byte> signature = stackalloc byte[ReceiptFormat.SignatureSize];
        if (!_key.TrySignHash(hash, signature, DSASignatureFormat.IeeeP1363FixedFieldConcatenation, out var written) || written != signature.Length)
        {
            throw new CryptographicException("the receipt signature did not fit 64 bytes");
        }

        return ReceiptFormat.EncodeReceipt(encoded, signature, Evidence);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _key.Dispose();
        _sha256.Dispose();
    }
}
