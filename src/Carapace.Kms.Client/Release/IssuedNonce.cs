namespace Carapace.Kms.Client.Release;

/// <summary>A challenge for attestation: evidence must bind it (see <see cref="Carapace.Attestation.ReportData.Bind"/>) before it expires.</summary>
/// <param name="Value">The 32 random bytes.</param>
/// <param name="ExpiresAt">The moment after which it is refused.</param>
public sealed record IssuedNonce(ReadOnlyMemory<byte> Value, DateTimeOffset ExpiresAt);
