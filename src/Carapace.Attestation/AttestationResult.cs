namespace Carapace.Attestation;

/// <summary>
/// The outcome of verifying evidence: either verified claims, or a typed <see cref="AttestationFailure"/>.
/// A result with <see cref="Insecure"/> set (simulation) proves nothing about hardware, whatever else it says.
/// </summary>
public sealed class AttestationResult
{
    private AttestationResult(EvidenceKind kind, AttestationFailure? failure)
    {
        Kind = kind;
        Failure = failure;
    }

    /// <summary>The kind of evidence that was checked.</summary>
    public EvidenceKind Kind { get; }

    /// <summary>True when every check passed; false when <see cref="Failure"/> says why not.</summary>
    public bool Verified => Failure is null;

    /// <summary>Why the evidence was rejected, or null when it verified.</summary>
    public AttestationFailure? Failure { get; }

    /// <summary>True for simulation evidence: signed by a software key, no hardware protection at all.</summary>
    public bool Insecure { get; private init; }

    /// <summary>True when the enclave, TD or guest runs with debugging allowed, so its memory is not protected.</summary>
    public bool Debug { get; private init; }

    /// <summary>The primary measurement: MRENCLAVE, MRTD, the SNP MEASUREMENT, Nitro PCR0 or the Carapace measurement.</summary>
    public ReadOnlyMemory<byte> Measurement { get; private init; }

    /// <summary>The signer identity where the kind has one (MRSIGNER for SGX); empty otherwise.</summary>
    public ReadOnlyMemory<byte> Signer { get; private init; }

    /// <summary>The product id where the kind has one (ISVPRODID for SGX).</summary>
    public ushort? ProductId { get; private init; }

    /// <summary>The security version where the kind has one (ISVSVN for SGX, GUEST_SVN for SNP).</summary>
    public uint? SecurityVersion { get; private init; }

    /// <summary>The 64 bytes (or, for Nitro, the user data) the evidence binds.</summary>
    public ReadOnlyMemory<byte> ReportData { get; private init; }

    /// <summary>For RA-TLS and Nitro: the DER SubjectPublicKeyInfo the evidence is bound to; empty otherwise.</summary>
    public ReadOnlyMemory<byte> PublicKey { get; private init; }

    /// <summary>
    /// For RA-TLS certificates carrying TDX or SEV-SNP evidence issued for a workload inside the confidential VM: the
    /// workload's Carapace measurement (function measurement or KMS identity) that the report data bind
    /// (<see cref="Tee.WorkloadBinding"/>); empty otherwise. <see cref="Measurement"/> is then the VM's launch measurement.
    /// </summary>
    public ReadOnlyMemory<byte> Workload { get; private init; }

    /// <summary>The TCB status, when evaluated.</summary>
    public TcbStatus TcbStatus { get; private init; }

    /// <summary>Security advisory ids that apply to the platform's TCB level (Intel-SA-…).</summary>
    public IReadOnlyList<string> Advisories { get; private init; } = [];

    /// <summary>All claims, in a stable order, for display and JSON.</summary>
    public IReadOnlyList<Claim> Claims { get; private init; } = [];

    /// <summary>The start of the period in which every certificate and collateral item is valid.</summary>
    public DateTimeOffset? ValidFrom { get; private init; }

    /// <summary>The end of the period in which every certificate and collateral item is valid.</summary>
    public DateTimeOffset? ValidUntil { get; private init; }

    /// <summary>For RA-TLS: the result of verifying the evidence embedded in the certificate.</summary>
    public AttestationResult? Inner { get; private init; }

    /// <summary>A rejection.</summary>
    public static AttestationResult Rejected(EvidenceKind kind, AttestationFailure failure)
    {
        ArgumentNullException.ThrowIfNull(failure);
        return new AttestationResult(kind, failure);
    }

    /// <summary>A rejection.</summary>
    public static AttestationResult Rejected(EvidenceKind kind, AttestationFailureReason reason, string message) =>
        Rejected(kind, new AttestationFailure(reason, message));

    /// <summary>A successful verification.</summary>
    public static AttestationResult Success(VerifiedClaims claims)
    {
        ArgumentNullException.ThrowIfNull(claims);
        return new AttestationResult(claims.Kind, null)
        {
            Insecure = claims.Insecure,
            Debug = claims.Debug,
            Measurement = claims.Measurement,
            Signer = claims.Signer,
            ProductId = claims.ProductId,
            SecurityVersion = claims.SecurityVersion,
            ReportData = claims.ReportData,
            PublicKey = claims.PublicKey,
            Workload = claims.Workload,
            TcbStatus = claims.TcbStatus,
            Advisories = claims.Advisories,
            Claims = claims.Claims,
            ValidFrom = claims.ValidFrom,
            ValidUntil = claims.ValidUntil,
            Inner = claims.Inner,
        };
    }

    /// <summary>
    /// This result, or a rejection when it verified but binds other report data than <paramref name="expected"/>
    /// (compared in constant time).
    /// </summary>
    public AttestationResult RequireReportData(ReadOnlySpan<byte> expected)
    {
        if (!Verified)
        {
            return this;
        }

        return global::Carapace.Attestation.ReportData.Matches(ReportData.Span, expected)
            ? this
            : Rejected(Kind, AttestationFailureReason.ReportDataMismatch,
                "the evidence binds different report data than expected: it was issued for another key or nonce (a replayed or substituted quote)");
    }

    /// <inheritdoc />
    public override string ToString() => Verified
        ? $"{EvidenceKinds.Name(Kind)}: verified{(Insecure ? " (INSECURE simulation)" : "")}, measurement {Convert.ToHexStringLower(Measurement.Span)}, TCB {TcbStatus}"
        : $"{EvidenceKinds.Name(Kind)}: rejected ({Failure})";
}
