
namespace Carapace.Protocol;

/// <summary>
/// What a trusted provisioner (the client, or the KMS) hands the worker for one enclave: provisioning sealed to
/// that enclave's session key, and a check of the enclave's sealed confirmation. The worker relays both without
/// being able to read or forge them.
/// </summary>
public interface IProvisioningSession : IDisposable
{
    /// <summary>The provisioner's ephemeral public key.</summary>
    ReadOnlyMemory<byte> PublicKey { get; }

    /// <summary>The sealed provisioning.</summary>
    ReadOnlyMemory<byte> SealedProvisioning { get; }

    /// <summary>True when the enclave's confirmation proves it loaded what was provisioned.</summary>
    bool Confirms(SpecializedMessage specialized);
}
