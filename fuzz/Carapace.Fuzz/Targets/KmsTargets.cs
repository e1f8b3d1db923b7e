using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Carapace.Kms.Api;
using Carapace.Kms.Policy;

namespace Carapace.Fuzz.Targets;

/// <summary>
/// The KMS's inputs from owners and clients (policies, signed policy documents) and the answers its clients and
/// enclaves read back (sealed releases, the entitlement inside them, chain keys).
/// </summary>
internal static class KmsTargets
{
    /// <summary>
    /// The enclave key a fuzzed release is opened with: fixed (its private scalar is a hash of a constant), so the
    /// corpus's sealed release opens and mutations of it reach the decryption. It protects nothing.
    /// </summary>
    private static readonly Lazy<ECDiffieHellman> s_enclaveKey = new(() => ECDiffieHellman.Create(new ECParameters
    {
        Curve = ECCurve.NamedCurves.nistP256,
        D = SHA256.HashData("carapace fuzz enclave key"u8),
    }));

    /// <summary>The public half of the fixed enclave key (DER SubjectPublicKeyInfo), for sealing seeds.</summary>
    public static byte[] EnclavePublicKey => s_enclaveKey.Value.ExportSubjectPublicKeyInfo();

    public static IEnumerable<FuzzTarget> All()
    {
        yield return new FuzzTarget(
            "kms-policy",
            "KmsPolicy.Parse: policy JSON (PolicyReader, then PolicyValidator)",
            input => KmsPolicy.Parse(Encoding.UTF8.GetString(input)),
            [typeof(PolicyException)]);
        yield return new FuzzTarget(
            "kms-signed-policy",
            "SignedPolicy.Parse then KmsPolicy.Parse of the policy it carries, as PUT /v1/policies/{ns} reads a body",
            input => KmsPolicy.Parse(SignedPolicy.Parse(input).PolicyText),
            [typeof(PolicyException)]);
        yield return new FuzzTarget(
            "kms-entitlement",
            "EntitlementCodec.Decode: the plaintext of a sealed release (strings, secrets, chain positions, edge keys)",
            input => EntitlementCodec.Decode(input).Dispose(),
            [typeof(InvalidDataException)]);
        yield return new FuzzTarget(
            "kms-chain-keys",
            "ChainKeysCodec.Decode: the JSON answer of POST /v1/client-keys",
            input => ChainKeysCodec.Decode(input).Dispose(),
            [typeof(InvalidDataException)]);
        yield return new FuzzTarget(
            "kms-release",
            "the JSON answer of POST /v1/release (KmsJson) opened by ReleaseSealing.Open",
            OpenRelease,
            [typeof(JsonException), typeof(CryptographicException), typeof(FormatException)]);
    }

    private static void OpenRelease(byte[] input)
    {
        var response = JsonSerializer.Deserialize(input, KmsJson.Default.ReleaseResponse)
            ?? throw new JsonException("the release answer is JSON null");
        var plaintext = ReleaseSealing.Open(s_enclaveKey.Value, "fuzz", "target", response);
        CryptographicOperations.ZeroMemory(plaintext);
    }
}
