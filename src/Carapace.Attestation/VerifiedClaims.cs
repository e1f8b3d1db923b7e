namespace Carapace.Attestation;

/// <summary>What a verifier fills in once every check has passed; turned into an <see cref="AttestationResult"/>.</summary>
public sealed class VerifiedClaims
{
    /// <summary>The kind of evidence.</summary>
    public required EvidenceKind Kind { get; init; }

    /// <summary>See <see cref="AttestationResult.Insecure"/>.</summary>
    public bool Insecure { get; init; }

    /// <summary>See <see cref="AttestationResult.Debug"/>.</summary>
    public bool Debug { get; init; }

    /// <summary>See <see cref="AttestationResult.Measurement"/>.</summary>
    public required ReadOnlyMemory<byte> Measurement { get; init; }

    /// <summary>See <see cref="AttestationResult.Signer"/>.</summary>
    public ReadOnlyMemory<byte> Signer { get; init; }

    /// <summary>See <see cref="AttestationResult.ProductId"/>.</summary>
    public ushort? ProductId { get; init; }

    /// <summary>See <see cref="AttestationResult.SecurityVersion"/>.</summary>
    public uint? SecurityVersion { get; init; }

    /// <summary>See <see cref="AttestationResult.ReportData"/>.</summary>
    public required ReadOnlyMemory<byte> ReportData { get; init; }

    /// <summary>See <see cref="AttestationResult.PublicKey"/>.</summary>
    public ReadOnlyMemory<byte> PublicKey { get; init; }

    /// <summary>See <see cref="AttestationResult.Workload"/>.</summary>
    public ReadOnlyMemory<byte> Workload { get; init; }

    /// <summary>See <see cref="AttestationResult.TcbStatus"/>.</summary>
    public TcbStatus TcbStatus { get; init; }

    /// <summary>See <see cref="AttestationResult.Advisories"/>.</summary>
    public IReadOnlyList<string> Advisories { get; init; } = [];

    /// <summary>See <see cref="AttestationResult.Claims"/>.</summary>
    public required IReadOnlyList<Claim> Claims { get; init; }

    /// <summary>See <see cref="AttestationResult.ValidFrom"/>.</summary>
    public DateTimeOffset? ValidFrom { get; init; }

    /// <summary>See <see cref="AttestationResult.ValidUntil"/>.</summary>
    public DateTimeOffset? ValidUntil { get; init; }

    /// <summary>See <see cref="AttestationResult.Inner"/>.</summary>
    public AttestationResult? Inner { get; init; }
}
