namespace Carapace.Attestation;

/// <summary>Checks one kind of evidence. Never throws for bad evidence: every problem is a rejected result.</summary>
public interface IEvidenceVerifier
{
    /// <summary>The kind of evidence this verifier checks.</summary>
    EvidenceKind Kind { get; }

    /// <summary>Verifies <paramref name="evidence"/> under <paramref name="options"/>.</summary>
    AttestationResult Verify(ReadOnlyMemory<byte> evidence, VerificationOptions options);
}
