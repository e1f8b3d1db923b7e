namespace Carapace.Protocol;

/// <summary>
/// The machine-readable reasons a <see cref="FailureMessage"/> may carry, for the failures the host acts on. A
/// failure without one is handled by its stage alone; its message is for people.
/// </summary>
public static class FailureReason
{
    /// <summary>
    /// The cached artifact of a Specialize did not authenticate or did not load (modified, or produced by another
    /// runtime). The enclave is still a stem cell: the host may drop the cache entry and send the module instead.
    /// </summary>
    public const string CachedArtifact = "cached-artifact";

    /// <summary>The KMS refused to release keys for this enclave's evidence or measurement.</summary>
    public const string AttestationRejected = "attestation-rejected";

    /// <summary>
    /// The KMS could not serve the enclave's attestation for now: it could not be reached, did not answer in time, or
    /// answered that it cannot work (e.g. its disk is full). Nothing about the enclave or its function is wrong; the
    /// host may try again once the KMS is back.
    /// </summary>
    public const string KmsUnavailable = "kms-unavailable";
}
