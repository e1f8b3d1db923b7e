using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Carapace.Attestation;

/// <summary>
/// The root certificates evidence chains must end in, per vendor. <see cref="BuiltIn"/> holds the vendor roots
/// shipped inside Carapace, each checked against its published SHA-256 fingerprint when loaded; a copy of a root
/// carried inside evidence is never trusted.
/// </summary>
public sealed class TrustAnchors
{
    private static readonly Lazy<TrustAnchors> BuiltInRoots = new(LoadBuiltIn);

    private TrustAnchors(X509Certificate2Collection intel, X509Certificate2Collection amd, X509Certificate2Collection nitro)
    {
        Intel = intel;
        Amd = amd;
        Nitro = nitro;
    }

    /// <summary>The built-in vendor roots: Intel SGX Root CA; AMD ARK-Milan and ARK-Genoa; AWS Nitro Enclaves root G1.</summary>
    public static TrustAnchors BuiltIn => BuiltInRoots.Value;

    /// <summary>Roots for Intel SGX and TDX quotes (and RA-TLS certificates carrying them).</summary>
    public X509Certificate2Collection Intel { get; }

    /// <summary>Roots (ARKs) for AMD SEV-SNP VCEK chains.</summary>
    public X509Certificate2Collection Amd { get; }

    /// <summary>Roots for AWS Nitro Enclaves attestation documents.</summary>
    public X509Certificate2Collection Nitro { get; }

    /// <summary>The built-in roots with a pinned fingerprint, by file name, for documentation and tests.</summary>
    public static IReadOnlyDictionary<string, string> PinnedFingerprints { get; } = new Dictionary<string, string>
    {
        ["intel_sgx_root_ca.pem"] = "44a0196b2b99f889b8e149e95b807a350e7424964399e885a7cbb8ccfab674d3",
        ["amd_ark_milan.pem"] = "69d063b45344d26a2e94e1f4210de49ef555308287d4c174445c95639a540bcd",
        ["amd_ark_genoa.pem"] = "4c6598d19c18719c5dfd4a7d335f674e5bfe1d8f800cea2cf270c10d103db2f1",
        ["aws_nitro_root_g1.pem"] = "641a0321a3e244efe456463195d606317ed7cdcc3c1756e09893f3c68f79bb5b",
    };

    /// <summary>Uses <paramref name="roots"/> for every vendor instead of the built-in ones (e.g. <c>--root FILE</c>).</summary>
    public static TrustAnchors Custom(X509Certificate2Collection roots)
    {
        ArgumentNullException.ThrowIfNull(roots);
        return new TrustAnchors(roots, roots, roots);
    }

    /// <summary>The roots that chains of <paramref name="kind"/> evidence must end in.</summary>
    public X509Certificate2Collection For(EvidenceKind kind) => kind switch
    {
        EvidenceKind.Sgx or EvidenceKind.Tdx or EvidenceKind.RaTls => Intel,
        EvidenceKind.SevSnp => Amd,
        EvidenceKind.Nitro => Nitro,
        _ => [],
    };

    /// <summary>The SHA-256 fingerprint of a certificate's DER encoding, lower-case hex.</summary>
    public static string Fingerprint(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return Convert.ToHexStringLower(SHA256.HashData(certificate.RawData));
    }

    private static TrustAnchors LoadBuiltIn()
    {
        var byName = new Dictionary<string, X509Certificate2>();
        foreach (var (name, fingerprint) in PinnedFingerprints)
        {
            var certificate = LoadResource(name);
            var actual = Fingerprint(certificate);
            if (!CryptographicOperations.FixedTimeEquals(Convert.FromHexString(actual), Convert.FromHexString(fingerprint)))
            {
                throw new InvalidOperationException($"the built-in root {name} does not match its pinned fingerprint {fingerprint}; the Carapace build is damaged");
            }

            byName[name] = certificate;
        }

        return new TrustAnchors(
            [byName["intel_sgx_root_ca.pem"]],
            [.. byName.Where(p => p.Key.StartsWith("amd_ark_", StringComparison.Ordinal)).Select(p => p.Value)],
            [byName["aws_nitro_root_g1.pem"]]);
    }

    private static X509Certificate2 LoadResource(string name)
    {
        using var stream = typeof(TrustAnchors).Assembly.GetManifestResourceStream("Carapace.Attestation.Roots." + name)
            ?? throw new InvalidOperationException($"the built-in root {name} is missing from the Carapace build");
        using var reader = new StreamReader(stream);
        return X509Certificate2.CreateFromPem(reader.ReadToEnd());
    }
}
