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
}
