namespace Carapace.Attestation.Dcap;

/// <summary>
/// An Intel DCAP ECDSA quote (version 3 SGX, version 4 TDX or SGX, version 5 with a body descriptor), parsed with
/// every length checked but nothing verified: use <see cref="SgxQuoteVerifier"/> or <see cref="TdxQuoteVerifier"/>
/// before trusting any field. Bytes after the declared signature data are not part of the quote and are ignored.
/// </summary>
public sealed class DcapQuote
{
    internal DcapQuote()
    {
    }

    /// <summary>The quote format version: 3, 4 or 5.</summary>
    public ushort Version { get; internal init; }

    /// <summary>The attestation key type; always 2 (ECDSA-256-with-P-256) for a parsed quote.</summary>
    public ushort AttestationKeyType { get; internal init; }

    /// <summary>The TEE type: 0 for SGX, 0x81 for TDX (reserved, and 0, in version 3).</summary>
    public uint TeeType { get; internal init; }

    /// <summary>The security version of the quoting enclave that produced the quote.</summary>
    public ushort QeSvn { get; internal init; }

    /// <summary>The security version of the provisioning certification enclave at quoting time.</summary>
    public ushort PceSvn { get; internal init; }

    /// <summary>The quoting enclave's vendor id; Intel's <c>939a7233f79c4ca9940a0db3957f0607</c> for a parsed quote.</summary>
    public ReadOnlyMemory<byte> QeVendorId { get; internal init; }

    /// <summary>The 20 bytes of user data in the header (the first 16 identify the platform's QE instance).</summary>
    public ReadOnlyMemory<byte> UserData { get; internal init; }

    /// <summary>Which report the quote carries.</summary>
    public DcapBodyType BodyType { get; internal init; }

    /// <summary>The evidence kind: <see cref="EvidenceKind.Sgx"/> for an SGX report, otherwise <see cref="EvidenceKind.Tdx"/>.</summary>
    public EvidenceKind Kind => BodyType == DcapBodyType.Sgx ? EvidenceKind.Sgx : EvidenceKind.Tdx;

    /// <summary>The report body (SGX enclave report or TD report).</summary>
    public ReadOnlyMemory<byte> Body { get; internal init; }

    /// <summary>The bytes the quote signature covers: the header, the version 5 body descriptor if any, and the body.</summary>
    public ReadOnlyMemory<byte> SignedData { get; internal init; }

    /// <summary>The ECDSA P-256 signature over <see cref="SignedData"/> (64 bytes, r‖s).</summary>
    public ReadOnlyMemory<byte> Signature { get; internal init; }

    /// <summary>The attestation public key that made <see cref="Signature"/> (64 bytes, X‖Y).</summary>
    public ReadOnlyMemory<byte> AttestationKey { get; internal init; }

    /// <summary>The quoting enclave's SGX report (384 bytes), which binds <see cref="AttestationKey"/>.</summary>
    public ReadOnlyMemory<byte> QeReport { get; internal init; }

    /// <summary>The PCK key's ECDSA P-256 signature over <see cref="QeReport"/> (64 bytes, r‖s).</summary>
    public ReadOnlyMemory<byte> QeReportSignature { get; internal init; }

    /// <summary>The QE authentication data hashed with the attestation key into the QE report's REPORTDATA.</summary>
    public ReadOnlyMemory<byte> QeAuthData { get; internal init; }

    /// <summary>The type of the innermost certification data (5 = PEM PCK certificate chain, the only one verified).</summary>
    public ushort CertificationDataType { get; internal init; }

    /// <summary>The innermost certification data (for type 5, the PEM PCK chain: leaf, intermediate CA, root).</summary>
    public ReadOnlyMemory<byte> CertificationData { get; internal init; }

    /// <summary>The number of bytes the quote occupies, up to the end of its declared signature data.</summary>
    public int Length { get; internal init; }

    /// <summary>The 64 bytes of report data the enclave or TD bound into the quote.</summary>
    public ReadOnlyMemory<byte> ReportData => Enclave?.ReportData ?? Td!.ReportData;

    /// <summary>The primary measurement: MRENCLAVE for SGX, MRTD for TDX.</summary>
    public ReadOnlyMemory<byte> Measurement => Enclave?.MrEnclave ?? Td!.MrTd;

    /// <summary>True when the enclave (ATTRIBUTES.DEBUG) or TD (TDATTRIBUTES.DEBUG) runs in debug mode.</summary>
    public bool Debug => Enclave?.Debug ?? Td!.Debug;

    /// <summary>
    /// The report body's fields as claims (<c>mrenclave</c>, <c>mrsigner</c>… or <c>mrtd</c>, <c>rtmr0</c>…), in a
    /// stable order. Unverified until a verifier has accepted the quote.
    /// </summary>
    public IReadOnlyList<Claim> ReportClaims => [.. Enclave?.Claims() ?? Td!.Claims()];

    /// <summary>The SGX report body, for SGX quotes.</summary>
    internal EnclaveReport? Enclave { get; init; }

    /// <summary>The TD report body, for TDX quotes.</summary>
    internal TdReport? Td { get; init; }

    /// <summary>The quoting enclave's report, parsed.</summary>
    internal EnclaveReport QeEnclaveReport => new(QeReport);

    /// <summary>
    /// Parses a quote. Throws <see cref="AttestationException"/>: <see cref="AttestationFailureReason.Malformed"/>
    /// when a length or field is inconsistent, <see cref="AttestationFailureReason.UnsupportedVersion"/> for another
    /// version, key type, TEE type, body type, certification data type or quoting-enclave vendor.
    /// </summary>
    public static DcapQuote Parse(ReadOnlySpan<byte> quote) => DcapQuoteParser.Parse(quote);

    /// <inheritdoc />
    public override string ToString() =>
        $"DCAP quote v{Version} ({BodyType}), {EvidenceKinds.Name(Kind)} measurement {Convert.ToHexStringLower(Measurement.Span)}";
}
