using System.Security.Cryptography;

namespace Carapace.Functions.Provisioning;

/// <summary>
/// The provisioner's side of an enclave session (the client in <c>carapace run</c>, the KMS on the platform). Built
/// from the public key the enclave announced, it seals provisioning that only that enclave can open, and checks
/// the enclave's confirmation of what it loaded. Dispose it to zero the session key.
/// </summary>
public sealed class Provisioner : IDisposable
{
    private readonly byte[] _sessionKey;

    /// <summary>Starts a session with the enclave whose session public key is <paramref name="enclavePublicKey"/>.</summary>
    /// <exception cref="CryptographicException">The key is not a valid P-256 point.</exception>
    public Provisioner(ReadOnlySpan<byte> enclavePublicKey)
    {
        using var ephemeral = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        PublicKey = SessionCrypto.ExportPublicKey(ephemeral);
        _sessionKey = SessionCrypto.DeriveKey(ephemeral, enclavePublicKey, enclavePublicKey, PublicKey);
    }

    /// <summary>The provisioner's ephemeral public key, sent along with the sealed provisioning.</summary>
    public byte[] PublicKey { get; }

    /// <summary>Seals a provisioning payload for the enclave.</summary>
    public byte[] Seal(ProvisioningPayload payload)
    {
        ArgumentNullException.ThrowIfNull(payload);
        var plain = payload.Encode();
        try
        {
            return SessionCrypto.Seal(_sessionKey, SessionPurpose.Provisioning, plain);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plain);
        }
    }

    /// <summary>
    /// Checks that <paramref name="confirmation"/> was sealed by the enclave of this session and names
    /// <paramref name="expectedMeasurement"/>: the enclave loaded exactly the module and manifest provisioned.
    /// </summary>
    public bool Confirms(ReadOnlySpan<byte> confirmation, ReadOnlySpan<byte> expectedMeasurement)
    {
        if (!SessionCrypto.TryOpen(_sessionKey, SessionPurpose.Confirmation, confirmation, out var measured))
        {
            return false;
        }

        return CryptographicOperations.FixedTimeEquals(measured, expectedMeasurement);
    }

    /// <summary>Zeroes the session key.</summary>
    public void Dispose() => CryptographicOperations.ZeroMemory(_sessionKey);
}
