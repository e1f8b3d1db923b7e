using Carapace.Protocol;

namespace Carapace.Cli.Bench;

/// <summary>A provisioning session that reports the enclave's module-load time (compile or cached deserialize) when it confirms the specialisation.</summary>
internal sealed class LoadSpy(IProvisioningSession inner, Action<long> load) : IProvisioningSession
{
    public ReadOnlyMemory<byte> PublicKey => inner.PublicKey;

    public ReadOnlyMemory<byte> SealedProvisioning => inner.SealedProvisioning;

    public bool Confirms(SpecializedMessage specialized)
    {
        load(specialized.LoadMicroseconds);
        return inner.Confirms(specialized);
    }

    public void Dispose() => inner.Dispose();
}
