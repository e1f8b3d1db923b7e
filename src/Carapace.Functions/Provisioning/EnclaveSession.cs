using System.Security.Cryptography;

namespace Carapace.Functions.Provisioning;

/// <summary>
/// The enclave's side of its session: a fresh ECDH P-256 key pair made at start (its public half is what
/// attestation binds), and the session key derived once a provisioner's public key arrives.
/// </summary>
internal sealed class EnclaveSession : IDisposable
{
    private readonly ECDiffieHellman _key = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
    private byte[]? _sessionKey;

    public EnclaveSession() => PublicKey = SessionCrypto.ExportPublicKey(_key);

    public byte[] PublicKey { get; }

    /// <summary>Derives the session key for <paramref name="provisionerPublicKey"/> and opens the provisioning with it.</summary>
    /// <exception cref="CryptographicException">Bad public key, or the provisioning does not authenticate.</exception>
    public ProvisioningPayload OpenProvisioning(ReadOnlySpan<byte> provisionerPublicKey, ReadOnlySpan<byte> sealedProvisioning)
    {
        var key = SessionCrypto.DeriveKey(_key, provisionerPublicKey, PublicKey, provisionerPublicKey);
        if (!SessionCrypto.TryOpen(key, SessionPurpose.Provisioning, sealedProvisioning, out var plain))
        {
            CryptographicOperations.ZeroMemory(key);
            throw new CryptographicException("the provisioning does not authenticate under this enclave's session key");
        }

        try
        {
            var payload = ProvisioningPayload.Decode(plain);
            if (_sessionKey is not null)
            {
                CryptographicOperations.ZeroMemory(_sessionKey);
            }

            _sessionKey = key;
            return payload;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plain);
        }
    }

    /// <summary>Seals the measurement for the provisioner of the current session.</summary>
    public byte[] Confirm(ReadOnlySpan<byte> measurement) =>
        SessionCrypto.Seal(_sessionKey ?? throw new InvalidOperationException("no session"), SessionPurpose.Confirmation, measurement);

    public void Dispose()
    {
        _key.Dispose();
        if (_sessionKey is not null)
        {
            CryptographicOperations.ZeroMemory(_sessionKey);
        }
    }
}
