namespace Carapace.Attestation.RaTls;

/// <summary>How an RA-TLS certificate carries its evidence.</summary>
public enum RaTlsEvidenceFormat
{
    /// <summary>
    /// The CCC interoperable RA-TLS format: extension <c>tcg-dice-tagged-evidence</c> (2.23.133.5.4.9) holding CBOR
    /// tag 60000 over <c>[quote, claims-buffer]</c>; the quote's REPORTDATA[0..32] is SHA-256 of the claims buffer,
    /// which holds <c>pubkey-hash</c> (and optionally <c>nonce</c>). Carapace also reads its own simulation evidence
    /// (insecure) in place of the quote, under the private tag 60100 (<see cref="RaTlsEvidence.SimulationEvidenceTag"/>).
    /// </summary>
    TcgDiceTaggedEvidence,

    /// <summary>
    /// Gramine's legacy extension 1.2.840.113741.1337.6 holding a raw SGX quote whose REPORTDATA[0..32] is SHA-256 of
    /// the certificate's DER SubjectPublicKeyInfo.
    /// </summary>
    GramineLegacy,

    /// <summary>Open Enclave's extensions (1.3.6.1.4.1.311.105.1, 1.2.840.113556.10.1.1): recognised, not verified.</summary>
    OpenEnclave,
}
