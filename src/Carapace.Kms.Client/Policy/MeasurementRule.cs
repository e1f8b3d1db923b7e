using Carapace.Attestation;

namespace Carapace.Kms.Client.Policy;

/// <summary>
/// One accepted identity for a function's code: either an exact measurement <see cref="Hash"/> of evidence of
/// <see cref="Kind"/>; or (SGX only) a signer rule — MRSIGNER equal to <see cref="Signer"/>, ISVPRODID equal to
/// <see cref="ProductId"/> and ISVSVN at least <see cref="MinSvn"/>; or (TDX and SEV-SNP only) a workload rule — the
/// Carapace function measurement <see cref="Workload"/> bound in the report data of evidence from a confidential VM
/// the policy trusts (<see cref="KmsPolicy.ConfidentialVms"/>).
/// </summary>
public sealed record MeasurementRule
{
    /// <summary>The evidence kind this rule applies to: sim, sgx, tdx, snp or nitro (never ratls: its inner kind counts).</summary>
    public required EvidenceKind Kind { get; init; }

    /// <summary>The exact measurement in hex (32 bytes for sim and sgx, 48 for tdx, snp and nitro), for a hash rule.</summary>
    public string? Hash { get; init; }

    /// <summary>The MRSIGNER in hex (32 bytes), for a signer rule.</summary>
    public string? Signer { get; init; }

    /// <summary>The ISVPRODID, for a signer rule.</summary>
    public ushort? ProductId { get; init; }

    /// <summary>The lowest accepted ISVSVN, for a signer rule.</summary>
    public uint? MinSvn { get; init; }

    /// <summary>The Carapace function measurement in hex (32 bytes), for a workload rule (kinds tdx and snp).</summary>
    public string? Workload { get; init; }

    /// <summary>True for a signer rule.</summary>
    public bool IsSignerRule => Signer is not null;

    /// <summary>True for a workload rule.</summary>
    public bool IsWorkloadRule => Workload is not null;

    /// <summary>The byte length of a measurement of <paramref name="kind"/>.</summary>
    public static int HashLength(EvidenceKind kind) => kind is EvidenceKind.Simulation or EvidenceKind.Sgx ? 32 : 48;

    /// <inheritdoc />
    public override string ToString() => IsSignerRule
        ? $"{EvidenceKinds.Name(Kind)} signer {Signer} product {ProductId} svn>={MinSvn}"
        : IsWorkloadRule ? $"{EvidenceKinds.Name(Kind)} workload {Workload}" : $"{EvidenceKinds.Name(Kind)} {Hash}";
}
