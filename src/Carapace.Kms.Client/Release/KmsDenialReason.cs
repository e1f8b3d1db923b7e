namespace Carapace.Kms.Client.Release;

/// <summary>Why the KMS refused to release secrets and keys (to attested code, or a chain's client keys to a client).</summary>
public enum KmsDenialReason
{
    /// <summary>The namespace has no policy.</summary>
    UnknownNamespace,

    /// <summary>The namespace's policy has no such function.</summary>
    UnknownFunction,

    /// <summary>The evidence did not verify (or an RA-TLS certificate carries no verified inner evidence).</summary>
    EvidenceNotVerified,

    /// <summary>The evidence does not bind the issued nonce and the caller's public key.</summary>
    EvidenceNotBound,

    /// <summary>The evidence is simulation evidence and the policy does not allow simulation.</summary>
    SimulationNotAllowed,

    /// <summary>The enclave runs with debugging enabled and the function does not allow it.</summary>
    DebugNotAllowed,

    /// <summary>The measurement matches no rule of the function (including rules of another evidence kind).</summary>
    NotInPolicy,

    /// <summary>A secret granted to the function has no value stored yet.</summary>
    SecretNotProvisioned,

    /// <summary>A secret name the namespace's policy does not declare.</summary>
    UnknownSecret,

    /// <summary>The nonce was never issued by this KMS (or is long expired and forgotten).</summary>
    NonceUnknown,

    /// <summary>The nonce was already used.</summary>
    NonceReplayed,

    /// <summary>The nonce expired before it was used.</summary>
    NonceExpired,

    /// <summary>Too many nonces are outstanding; try again when some have expired.</summary>
    TooManyNonces,

    /// <summary>The namespace's policy has no such chain.</summary>
    UnknownChain,

    /// <summary>The signer of a client request is not a client of the namespace's current policy.</summary>
    UnknownClient,

    /// <summary>A signed request lacks its signer, time or signature header.</summary>
    MissingSignature,

    /// <summary>A request signature (or its time) is malformed or does not verify with the signer's key in the policy.</summary>
    BadSignature,

    /// <summary>A signed request's time is further from the KMS's clock than the allowed skew (a stale or replayed request).</summary>
    StaleSignature,

    /// <summary>The evidence comes from a confidential VM whose launch measurement (or an RTMR) is not one the policy trusts.</summary>
    UntrustedVm,

    /// <summary>The evidence comes from a trusted confidential VM image on a platform whose TCB the policy does not accept.</summary>
    TcbNotAccepted,
}
