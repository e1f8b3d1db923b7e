using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Carapace.Attestation.Snp;

/// <summary>
/// The AMD SEV Signing Keys (ASKs) shipped with Carapace, so a VCEK can be checked when the caller has only the
/// VCEK. An ASK is an intermediate, never a trust anchor: the chain must still end in a pinned ARK. Each file is
/// byte-identical to the first certificate AMD KDS serves at <c>/vcek/v1/{Milan,Genoa}/cert_chain</c> (Milan: the
/// copy in google/go-sev-guest <c>verify/testdata/milan.testcer</c>; Genoa: verified to be signed by ARK-Genoa,
/// whose fingerprint <c>4c6598d1…2f1</c> is pinned in <see cref="TrustAnchors"/>).
/// </summary>
internal static class AmdSigningKeys
{
    private static readonly (string Name, string Fingerprint)[] _files =
    [
        ("amd_ask_milan.pem", "67d303bd3905fd38db8b20e0793699870e7fa612eaad5dec358293fd8c0bac1b"),
        ("amd_ask_genoa.pem", "5464738c1546aed5f2cecf1dc98c5c960a92e8913238a61711bc90ec6e828521"),
    ];

    private static readonly Lazy<IReadOnlyList<X509Certificate2>> _loaded = new(Load);

    /// <summary>The built-in ASKs (SEV-Milan, SEV-Genoa).</summary>
    public static IReadOnlyList<X509Certificate2> BuiltIn => _loaded.Value;

    private static List<X509Certificate2> Load()
    {
        var certificates = new List<X509Certificate2>();
        foreach (var (name, fingerprint) in _files)
        {
            using var stream = typeof(AmdSigningKeys).Assembly.GetManifestResourceStream("Carapace.Attestation.Roots." + name)
                ?? throw new InvalidOperationException($"the built-in AMD signing key {name} is missing from the Carapace build");
            using var reader = new StreamReader(stream);
            var certificate = X509Certificate2.CreateFromPem(reader.ReadToEnd());
            if (!CryptographicOperations.FixedTimeEquals(SHA256.HashData(certificate.RawData), Convert.FromHexString(fingerprint)))
            {
                throw new InvalidOperationException($"the built-in AMD signing key {name} does not match its pinned fingerprint {fingerprint}; the Carapace build is damaged");
            }

            certificates.Add(certificate);
        }

        return certificates;
    }
}
