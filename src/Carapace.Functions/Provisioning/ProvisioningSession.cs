using Carapace.Protocol;

namespace Carapace.Functions.Provisioning;

/// <summary>
/// A trusted provisioner's session with one enclave: the payload sealed to the public key the enclave announced, and
/// the check of the enclave's confirmation against the measurement the provisioner computed itself (never the one
/// the enclave or the host claims).
/// </summary>
public sealed class ProvisioningSession : IProvisioningSession
{
    private readonly Provisioner _provisioner;
    private readonly byte[] _expectedMeasurement;

    /// <summary>Seals <paramref name="payload"/> for <paramref name="enclave"/>.</summary>
    public ProvisioningSession(ReadyMessage enclave, ProvisioningPayload payload, byte[] expectedMeasurement)
    {
        ArgumentNullException.ThrowIfNull(enclave);
        _provisioner = new Provisioner(enclave.SessionPublicKey.Span);
        SealedProvisioning = _provisioner.Seal(payload);
        _expectedMeasurement = expectedMeasurement;
    }

    /// <inheritdoc/>
    public ReadOnlyMemory<byte> PublicKey => _provisioner.PublicKey;

    /// <inheritdoc/>
    public ReadOnlyMemory<byte> SealedProvisioning { get; }

    /// <inheritdoc/>
    public bool Confirms(SpecializedMessage specialized) =>
        specialized.Measurement.Span.SequenceEqual(_expectedMeasurement)
        && _provisioner.Confirms(specialized.Confirmation.Span, _expectedMeasurement);

    /// <summary>Zeroes the session key.</summary>
    public void Dispose() => _provisioner.Dispose();
}
