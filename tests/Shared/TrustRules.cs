using System.Xml.Linq;

namespace Carapace.Tests;

/// <summary>
/// Carapace's trust boundary as design rules over compiled code (<see cref="ReferencedTypes"/>) and project files: what
/// untrusted code (the worker, the protocol, the controller, the platform host and all of the gateway but its plaintext
/// edge) and clients may not reach.
/// </summary>
internal static class TrustRules
{
    /// <summary>Projects that run outside the enclave and the KMS and must never hold keys or plaintext.</summary>
    public static readonly IReadOnlyList<string> Untrusted =
        ["Carapace.Worker", "Carapace.Protocol", "Carapace.Controller", "Carapace.Controller.Postgres", "Carapace.Platform", "Carapace.Gateway"];

    /// <summary>Trusted programs no untrusted project and no client may link: the enclave executable and the KMS server.</summary>
    public static readonly IReadOnlyList<string> TrustedPrograms = ["Carapace.Enclave", "Carapace.Kms"];

    /// <summary>Assemblies whose every type is trusted code: the enclave program and the KMS server.</summary>
    private static readonly HashSet<string> s_trustedAssemblies = ["Carapace.Enclave", "Carapace.Kms"];

    /// <summary>
    /// Types that hold key material or seal and open plaintext, outside the trusted assemblies: attestation's quoting
    /// keys, evidence issuers and receipt signer, the envelope keys and the sealer and opener that take them, the provisioning session that hands an enclave its edge keys, the image
    /// keys, cipher and packer, and the KMS client's released keys, secrets, owner keys and their codecs.
    /// </summary>
    private static readonly HashSet<string> s_keyOrPlaintextTypes =
    [
        // Attestation's key holders and evidence issuers; its verifiers, results and trust anchors are public data.
        "Carapace.Attestation.IEvidenceIssuer",
        "Carapace.Attestation.Simulation.SimulatedQuotingService",
        "Carapace.Attestation.Simulation.SimulatedEvidenceIssuer",
        "Carapace.Attestation.ConfigFsTsm.ConfigFsTsmIssuer",
        "Carapace.Attestation.Tee.TeeBackend",
        "Carapace.Attestation.Tee.WorkloadEvidenceIssuer",
        "Carapace.Attestation.RaTls.RaTlsCertificateFactory",
        "Carapace.Attestation.Receipts.ReceiptSigner",
        "Carapace.Envelope.Keys.EdgeKey",
        "Carapace.Envelope.Keys.MasterKey",
        "Carapace.Envelope.Keys.KeyFile",
        "Carapace.Envelope.Sealing.EnvelopeSealer",
        "Carapace.Envelope.Sealing.EnvelopeOpener",
        "Carapace.Envelope.Sealing.OpenedEnvelope",
        "Carapace.Envelope.Sealing.MessageCipher",
        "Carapace.Functions.Images.ImageKeys",
        "Carapace.Functions.Images.BlockCipher",
        "Carapace.Functions.Images.ImagePacker",
        "Carapace.Functions.Images.ImageWriter",
        "Carapace.Kms.Client.Release.Entitlement",
        "Carapace.Kms.Client.Release.ChainKeys",
        "Carapace.Kms.Client.Secrets.SecretValue",
        "Carapace.Kms.Client.Secrets.SecretWriteSigner",
        "Carapace.Kms.Client.Policy.OwnerKey",
        "Carapace.Kms.Client.Api.ReleaseSealing",
        "Carapace.Kms.Client.Api.EntitlementCodec",
        "Carapace.Kms.Client.Api.ChainKeysCodec",
    ];

    /// <summary>Namespaces whose every type handles keys for an enclave.</summary>
    private static readonly HashSet<string> s_keyNamespaces = ["Carapace.Functions.Provisioning"];

    /// <summary>
    /// The gateway types allowed to hold keys and plaintext, and what for: the plaintext edge of actions deployed with
    /// confidential: false (it provisions their enclaves and seals and opens their envelopes), and the platform's TLS
    /// certificate authority, whose own key file it reads. Neither may reach the enclave or the KMS server.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, Func<TypeUse, bool>> GatewayEdge = new Dictionary<string, Func<TypeUse, bool>>
    {
        ["Carapace.Gateway.Invocations.PlaintextBridge"] = use =>
            use.Namespace is "Carapace.Envelope.Keys" or "Carapace.Envelope.Sealing" || s_keyNamespaces.Contains(use.Namespace),
        ["Carapace.Gateway.Tls.PlatformCertificateAuthority"] = use => use.FullName == "Carapace.Envelope.Keys.KeyFile",
    };

    /// <summary>True when <paramref name="use"/> is enclave or KMS-server code, key material, an evidence issuer or a plaintext sealer or opener.</summary>
    public static bool IsKeyOrPlaintext(TypeUse use) =>
        s_trustedAssemblies.Contains(use.Assembly) || s_keyOrPlaintextTypes.Contains(use.FullName) || s_keyNamespaces.Contains(use.Namespace);

    /// <summary>
    /// Every reference of the assembly's types to trusted code, keys or plaintext, as "type uses referenced type", except
    /// those <paramref name="allowed"/> grants the referencing type.
    /// </summary>
    public static List<string> Offenders(ReferencedTypes assembly, IReadOnlyDictionary<string, Func<TypeUse, bool>>? allowed = null) =>
        [.. assembly.ByType
            .SelectMany(entry => entry.Value
                .Where(IsKeyOrPlaintext)
                .Where(use => allowed is null || !allowed.TryGetValue(entry.Key, out var grant) || !grant(use) || s_trustedAssemblies.Contains(use.Assembly))
                .Select(use => $"{entry.Key} uses {use}"))
            .Order(StringComparer.Ordinal)];

    /// <summary>The projects under <c>src/</c> each project references, directly or through others, by project name.</summary>
    public static IReadOnlyDictionary<string, HashSet<string>> ProjectClosures()
    {
        var direct = Directory.EnumerateFiles(Path.Combine(RepoPaths.Root, "src"), "*.csproj", SearchOption.AllDirectories)
            .ToDictionary(
                path => Path.GetFileNameWithoutExtension(path),
                path => XDocument.Load(path).Descendants("ProjectReference")
                    .Select(reference => Path.GetFileNameWithoutExtension(reference.Attribute("Include")!.Value.Replace('\\', '/')))
                    .ToList());
        var closures = new Dictionary<string, HashSet<string>>();
        foreach (var project in direct.Keys)
        {
            var seen = new HashSet<string>();
            var pending = new Stack<string>(direct[project]);
            while (pending.TryPop(out var next))
            {
                if (seen.Add(next) && direct.TryGetValue(next, out var further))
                {
                    further.ForEach(pending.Push);
                }
            }

            closures[project] = seen;
        }

        return closures;
    }
}
