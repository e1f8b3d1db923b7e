using Carapace.Enclave.Session;
using Carapace.Protocol;
using Carapace.Worker.Pools;

namespace Carapace.Cli.Functions;

/// <summary>
/// The client acting as provisioner for one enclave: seals the payload to the public key the enclave announced and
/// checks the enclave's confirmation against the measurement the client computed itself.
/// </summary>
internal sealed class ClientProvisioning : IProvisioningSession
{
    private readonly Provisioner _provisioner;
    private readonly byte[] _expectedMeasurement;

    public ClientProvisioning(ReadyMessage enclave, ProvisioningPayload payload, byte[] expectedMeasurement)
    {
        _provisioner = new Provisioner(enclave.SessionPublicKey.Span);
        SealedProvisioning = _provisioner.Seal(payload);
        _expectedMeasurement = expectedMeasurement;
    }

    public ReadOnlyMemory<byte> PublicKey => _provisioner.PublicKey;

    public ReadOnlyMemory<byte> SealedProvisioning { get; }

    public bool Confirms(SpecializedMessage specialized) =>
        specialized.Measurement.Span.SequenceEqual(_expectedMeasurement)
        && _provisioner.Confirms(specialized.Confirmation.Span, _expectedMeasurement);

    public void Dispose() => _provisioner.Dispose();
}
