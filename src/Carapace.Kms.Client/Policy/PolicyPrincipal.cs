namespace Carapace.Kms.Client.Policy;

/// <summary>An owner or client named in a policy: an id and an ECDSA P-256 public key.</summary>
public sealed record PolicyPrincipal
{
    /// <summary>The id signatures and requests name this principal by.</summary>
    public required string Id { get; init; }

    /// <summary>The public key: base64 of a DER SubjectPublicKeyInfo on the P-256 curve.</summary>
    public required string PublicKey { get; init; }
}
