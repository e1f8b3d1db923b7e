namespace Carapace.Worker.Pools;

/// <summary>
/// A function whose enclaves fetch their keys and secrets from the KMS by attestation. The worker passes these
/// public facts along; it never sees what the KMS releases.
/// </summary>
/// <param name="Endpoint">The KMS's HTTPS endpoint (when no <see cref="Locator"/> says otherwise).</param>
/// <param name="Namespace">The namespace whose policy governs the function.</param>
/// <param name="Function">The function's name in that policy.</param>
/// <param name="Manifest">The canonical function manifest (limits, arguments, image root) the enclave measures.</param>
public sealed record KmsFunction(Uri Endpoint, string Namespace, string Function, ReadOnlyMemory<byte> Manifest)
{
    /// <summary>
    /// Where the KMS is at each specialisation and whether it serves (a supervised KMS restarts, and may move); asked
    /// before every specialisation, its answer replaces <see cref="Endpoint"/>. Null: always <see cref="Endpoint"/>.
    /// </summary>
    public IKmsLocator? Locator { get; init; }
}
