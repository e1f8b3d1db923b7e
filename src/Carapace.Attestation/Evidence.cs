namespace Carapace.Attestation;

/// <summary>Attestation evidence as produced by an issuer: its kind and its exact bytes.</summary>
/// <param name="Kind">Which verifier can check the evidence.</param>
/// <param name="Bytes">The evidence in its native encoding (a quote, a report, a COSE document, a DER certificate…).</param>
public sealed record Evidence(EvidenceKind Kind, ReadOnlyMemory<byte> Bytes);
