using System.Security.Cryptography;
using Carapace.Kms.Client.Api;
using Carapace.Kms.Client.Policy;
using Carapace.Kms.Client.Secrets;
using Carapace.Kms.Policy;
using Carapace.Kms.Tests.Support;

namespace Carapace.Kms.Tests;

/// <summary>
/// An EC SubjectPublicKeyInfo may name any curve OID; OpenSSL refuses one it does not know with
/// PlatformNotSupportedException. Found by fuzzing (fuzz/crashes/kms-policy): that exception escaped policy validation
/// instead of becoming a listed problem.
/// </summary>
public sealed class UnknownCurveKeyTests : IDisposable
{
    private readonly Policies _owners = new();

    public void Dispose() => _owners.Dispose();

    /// <summary>A P-256 key whose curve OID 1.2.840.10045.3.1.7 is rewritten to 1.2.840.10045.3.1.127, a curve nobody defines.</summary>
    private static byte[] UnknownCurveKey<T>(T key)
        where T : AsymmetricAlgorithm
    {
        var spki = key.ExportSubjectPublicKeyInfo();
        byte[] p256 = [0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07];
        var at = spki.AsSpan().IndexOf(p256);
        Assert.True(at > 0);
        spki[at + p256.Length - 1] = 0x7F;
        return spki;
    }

    [Fact]
    public void An_owner_key_naming_an_unknown_curve_is_a_policy_problem()
    {
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var policy = _owners.Build() with
        {
            Owners = [new PolicyPrincipal { Id = "alice", PublicKey = Convert.ToBase64String(UnknownCurveKey(ecdsa)) }],
        };

        var error = Assert.Throws<PolicyException>(() => KmsPolicy.Parse(policy.ToJson()));

        Assert.Equal(PolicyRejection.Invalid, error.Reason);
        Assert.Contains("is not on the P-256 curve", Assert.Single(error.Errors), StringComparison.Ordinal);
    }

    [Fact]
    public void A_sealed_release_whose_ephemeral_key_names_an_unknown_curve_does_not_open()
    {
        using var enclave = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        var sealedRelease = ReleaseSealing.Seal(enclave.ExportSubjectPublicKeyInfo(), "acme", "f", [1, 2, 3]);
        using var ephemeral = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        var forged = sealedRelease with { EphemeralKey = Convert.ToBase64String(UnknownCurveKey(ephemeral)) };

        Assert.Throws<CryptographicException>(() => ReleaseSealing.Open(enclave, "acme", "f", forged));
    }

    [Fact]
    public void A_sealed_secret_value_whose_ephemeral_key_names_an_unknown_curve_does_not_open()
    {
        using var kms = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        var sealedValue = SealedSecretValue.Seal(kms.ExportSubjectPublicKeyInfo(), "acme", "db-password", 1, [1, 2, 3]);
        using var ephemeral = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        var forged = sealedValue with { EphemeralKey = UnknownCurveKey(ephemeral) };

        Assert.Throws<CryptographicException>(() => forged.Open(kms, "acme", "db-password", 1));
    }

    [Fact]
    public void A_secret_cannot_be_sealed_to_a_kms_key_naming_an_unknown_curve()
    {
        using var kms = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);

        Assert.Throws<CryptographicException>(() => SealedSecretValue.Seal(UnknownCurveKey(kms), "acme", "db-password", 1, [1, 2, 3]));
    }
}
