namespace Carapace.Attestation;

/// <summary>Why evidence was rejected. Every rejection carries one of these and a message saying what to do.</summary>
public enum AttestationFailureReason
{
    /// <summary>The evidence (or its collateral) could not be parsed: truncated, padded, wrong field values.</summary>
    Malformed,

    /// <summary>A version, key type or algorithm this verifier does not support.</summary>
    UnsupportedVersion,

    /// <summary>A signature over the evidence, the quoting enclave's report or the collateral does not verify.</summary>
    BadSignature,

    /// <summary>A certificate chain does not lead to the pinned root.</summary>
    BrokenChain,

    /// <summary>A certificate or collateral item has expired at the verification time.</summary>
    Expired,

    /// <summary>A certificate or collateral item is not yet valid at the verification time.</summary>
    NotYetValid,

    /// <summary>A certificate is on its issuer's revocation list, or the TCB level is revoked.</summary>
    Revoked,

    /// <summary>The evidence binds different report data than the verifier expected (wrong key or stale nonce).</summary>
    ReportDataMismatch,

    /// <summary>Collateral is inconsistent with the evidence (other FMSPC, other quoting enclave, missing items).</summary>
    CollateralMismatch,

    /// <summary>The platform's TCB matches no level in the TCB info, or is below what is accepted.</summary>
    TcbRejected,

    /// <summary>The evidence is valid but the caller's policy does not accept it (simulation, debug, measurement).</summary>
    PolicyDenied,

    /// <summary>No attestation hardware is available to issue evidence on this machine.</summary>
    NoHardware,
}
