using System.Globalization;
using System.Security.Cryptography;
using Carapace.Kms.Keys;

namespace Carapace.Kms.Secrets;

/// <summary>
/// The KMS's secret-sealing key: a P-256 key pair whose private scalar is HKDF(KMS master key,
/// <c>"carapace/kms/secret-seal/v1"</c>) — the first of <c>…/v1</c>, <c>…/v1/1</c>, <c>…/v1/2</c>, … that is a valid
/// scalar — so it is the same across restarts and changes only with the master key. Owners seal the values of secret
/// writes to its public half (<see cref="SealedSecretValue"/>), which the KMS publishes over its attested TLS; only this
/// KMS can open them.
/// </summary>
internal sealed class SecretSealingKey : IDisposable
{
    private const string Label = "carapace/kms/secret-seal/v1";
    private const int MaxDerivations = 16;
    private readonly ECDiffieHellman _key;

    public SecretSealingKey(KmsMasterKey master)
    {
        for (var i = 0; i < MaxDerivations; i++)
        {
            var scalar = master.DerivePurposeKey(i == 0 ? Label : Label + "/" + i.ToString(CultureInfo.InvariantCulture));
            try
            {
                // A 256-bit string is a valid P-256 scalar unless it is 0 or at least the group order (about 2^-32).
                _key = ECDiffieHellman.Create(new ECParameters { Curve = ECCurve.NamedCurves.nistP256, D = scalar });
                PublicKey = _key.ExportSubjectPublicKeyInfo();
                Fingerprint = SealedSecretValue.FingerprintOf(PublicKey.Span);
                return;
            }
            catch (CryptographicException)
            {
                // Not a valid scalar: derive the next one.
            }
            finally
            {
                CryptographicOperations.ZeroMemory(scalar);
            }
        }

        throw new CryptographicException($"no valid P-256 scalar in {MaxDerivations} derivations from the KMS master key");
    }

    /// <summary>The public key (DER SubjectPublicKeyInfo).</summary>
    public ReadOnlyMemory<byte> PublicKey { get; }

    /// <summary><see cref="SealedSecretValue.FingerprintOf"/> the public key.</summary>
    public string Fingerprint { get; }

    /// <summary>Opens a value sealed to this key for one write; null when it does not open. The caller zeroes the result.</summary>
    public byte[]? TryOpen(SealedSecretValue sealedValue, string ns, string secret, long version)
    {
        try
        {
            return sealedValue.Open(_key, ns, secret, version);
        }
        catch (CryptographicException)
        {
            return null;
        }
    }

    public void Dispose() => _key.Dispose();
}
