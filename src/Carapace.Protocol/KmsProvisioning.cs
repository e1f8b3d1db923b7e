namespace Carapace.Protocol;

/// <summary>
/// Host → enclave, inside <see cref="SpecializeMessage"/>: "fetch your keys from the KMS yourself". Nothing here is
/// secret and nothing here is trusted: the enclave computes its measurement from the manifest and the module it
/// really loaded, proves it to the KMS over attested TLS, and verifies the KMS's own evidence. A host that lies about
/// any field gets an enclave whose measurement the KMS's policy does not know, and so no keys.
/// </summary>
/// <param name="Endpoint">The KMS's HTTPS endpoint.</param>
/// <param name="Namespace">The namespace whose policy governs the function.</param>
/// <param name="Function">The function's name in that policy.</param>
/// <param name="Manifest">The function's canonical manifest (measured).</param>
/// <param name="ModuleHash">SHA-256 of the function's module (checked against the module or cache artifact sent).</param>
public sealed record KmsProvisioning(string Endpoint, string Namespace, string Function, ReadOnlyMemory<byte> Manifest, ReadOnlyMemory<byte> ModuleHash);
