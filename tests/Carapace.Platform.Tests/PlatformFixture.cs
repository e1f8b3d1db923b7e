using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Carapace.Attestation;
using Carapace.Attestation.Simulation;
using Carapace.Envelope.Keys;
using Carapace.Functions;
using Carapace.Functions.Images;
using Carapace.Gateway;
using Carapace.Gateway.Auth;
using Carapace.Kms.Client;
using Carapace.Kms.Client.Policy;
using Carapace.Kms.Server;
using Carapace.Attestation.Tee;

namespace Carapace.Platform.Tests;

/// <summary>
/// A real embedded platform on loopback HTTPS (gateway, controller, worker with enclave child processes) attesting to
/// a real KMS, with namespace <c>guest</c>, its owner key and a client that trusts exactly the gateway's certificate.
/// Policies name the measurements the test computes itself, as a deploying client would.
/// </summary>
internal sealed class PlatformFixture : IAsyncDisposable
{
    public const string Namespace = "guest";
    private readonly List<HttpClient> _clients = [];
    private readonly List<PolicyFunction> _functions = [];
    private readonly List<PolicyChain> _chains = [];
    private readonly List<PolicySecret> _secrets = [];
    private ulong _version;

    private readonly PlatformOptions _options;

    private PlatformFixture(string root, KmsServer kms, SimulatedQuotingService quoting, PlatformHost host, PlatformOptions options,
        X509Certificate2 certificate, NamespaceCredential guest)
    {
        _options = options;
        Root = root;
        Kms = kms;
        Quoting = quoting;
        Host = host;
        Certificate = certificate;
        Guest = guest;
        KmsClient = new KmsClient(kms.Endpoint, KmsServerTrust.Simulation(kms.QuotingKey));
    }

    public string Root { get; }
    public KmsServer Kms { get; }
    public SimulatedQuotingService Quoting { get; }
    public PlatformHost Host { get; private set; }
    public X509Certificate2 Certificate { get; }
    public NamespaceCredential Guest { get; }
    public KmsClient KmsClient { get; }
    public OwnerKey Owner { get; } = OwnerKey.Generate();

    /// <summary>The supervised KMS's health the platform consults, when started with <c>supervision</c>; null otherwise.</summary>
    public Platform.Kms.KmsHealth? KmsHealth => _options.KmsHealth;

    public static async Task<PlatformFixture> StartAsync(int stemCells = 1, Controller.Scheduling.AdmissionOptions? admission = null,
        long maxInvocationBytes = 16L * 1024 * 1024, int maxEnclavesPerAction = 2, Platform.Kms.KmsSupervisionOptions? supervision = null,
        int maxInvocationsPerEnclave = 1_000)
    {
        var root = Path.Combine(Path.GetTempPath(), "carapace-platform-tests", Guid.NewGuid().ToString("N"));
        var sim = Path.Combine(root, "sim");
        Directory.CreateDirectory(sim);
        var kms = await KmsServer.StartAsync(new KmsServerOptions { DataDirectory = root, Tee = TeeBackend.Simulation(sim) });
        var quoting = SimulatedQuotingService.OpenOrCreate(sim);
        var certificate = SelfSigned();
        var advertisement = new KmsAdvertisement(kms.Endpoint, Carapace.Kms.Client.KmsIdentity.MeasurementHex, kms.QuotingKey);
        var options = new PlatformOptions
        {
            DataDirectory = root,
            Certificate = certificate,
            Kms = advertisement,
            KmsHealth = supervision is null ? null : new Platform.Kms.KmsHealth(advertisement, supervision),
            StemCells = stemCells,
            Admission = admission ?? new(),
            MaxInvocationBytes = maxInvocationBytes,
            MaxEnclavesPerAction = maxEnclavesPerAction,
            MaxInvocationsPerEnclave = maxInvocationsPerEnclave,
        };
        var host = await PlatformHost.StartAsync(options);
        var guest = host.Gateway.CreateNamespace(Namespace);
        return new PlatformFixture(root, kms, quoting, host, options, certificate, guest);
    }

    /// <summary>
    /// Stops the platform (the KMS keeps running), runs <paramref name="whileStopped"/> on the data directory, and
    /// starts a new platform over the same state; clients made after this talk to the new gateway.
    /// </summary>
    public async Task RestartAsync(Action<string>? whileStopped = null)
    {
        await Host.DisposeAsync();
        whileStopped?.Invoke(Root);
        Host = await PlatformHost.StartAsync(_options);
    }

    /// <summary>A client of the gateway as namespace <c>guest</c>.</summary>
    public HttpClient Client()
    {
        var thumbprint = Certificate.GetCertHashString(HashAlgorithmName.SHA256);
        var handler = new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                    certificate is not null && certificate.GetCertHashString(HashAlgorithmName.SHA256) == thumbprint,
            },
            MaxConnectionsPerServer = 64,
        };
        var client = new HttpClient(handler) { BaseAddress = Host.Endpoint, Timeout = TimeSpan.FromSeconds(120) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(Guest.Auth)));
        _clients.Add(client);
        return client;
    }

    /// <summary>Deploys example <paramref name="example"/> as action <paramref name="name"/> and, if confidential, names its measurement in the policy.</summary>
    /// <remarks>
    /// With <paramref name="publishPolicy"/> false the policy is left as it was (the new version's measurement is not in it).
    /// With <paramref name="image"/> the action mounts it at /data, and the function is granted <paramref name="secrets"/>.
    /// </remarks>
    public async Task DeployAsync(string name, string example, bool confidential = true, int memoryMiB = 128, int timeoutMs = 5_000,
        IReadOnlyDictionary<string, string>? env = null, bool publishPolicy = true, byte[]? image = null, IReadOnlyList<string>? secrets = null)
    {
        var module = await File.ReadAllBytesAsync(RepoPaths.Example(example));
        var annotations = new JsonArray();
        if (!confidential)
        {
            annotations.Add(new JsonObject { ["key"] = "confidential", ["value"] = false });
        }

        if (env is not null)
        {
            var values = new JsonObject();
            foreach (var (k, v) in env)
            {
                values[k] = v;
            }

            annotations.Add(new JsonObject { ["key"] = ActionManifest.EnvironmentAnnotation, ["value"] = values });
        }

        var body = new JsonObject
        {
            ["exec"] = new JsonObject
            {
                ["kind"] = "wasm:wasi",
                ["code"] = Convert.ToBase64String(module),
                ["image"] = image is null ? null : Convert.ToBase64String(image),
            },
            ["limits"] = new JsonObject { ["memory"] = memoryMiB, ["timeout"] = timeoutMs },
            ["annotations"] = annotations,
        };
        using var response = await Client().PutAsync($"api/v1/namespaces/_/actions/{name}?overwrite=true", JsonContent.Create(body));
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        if (confidential && publishPolicy)
        {
            var manifest = ActionManifest.For(name, memoryMiB, timeoutMs, env, ImageReferenceOf(image));
            var measurement = Measurement.Compute(ReferenceValues.Load().RuntimeIdentityValue, SHA256.HashData(module), manifest.Encode());
            _functions.RemoveAll(f => f.Name == name);
            _functions.Add(new PolicyFunction
            {
                Name = name,
                Measurements = [new MeasurementRule { Kind = EvidenceKind.Simulation, Hash = Convert.ToHexStringLower(measurement) }],
                Secrets = [.. secrets ?? []],
            });
            _secrets.AddRange((secrets ?? []).Where(s => !_secrets.Any(d => d.Name == s)).Select(s => new PolicySecret { Name = s }));
            _chains.RemoveAll(c => c.Name == name);
            _chains.Add(new PolicyChain { Name = name, Steps = [name] });
            await PublishPolicyAsync();
            Measurements[name] = measurement;
        }
    }

    /// <summary>Stores <paramref name="value"/> as secret <paramref name="name"/> of the namespace (declared by a deployment first), signed by the owner.</summary>
    public Task PutSecretAsync(string name, byte[] value) => KmsClient.PutSecretAsync(Namespace, name, value, Owner, "owner");

    /// <summary>The id and root in an image's public header, or null for no image.</summary>
    public static ImageReference? ImageReferenceOf(byte[]? image)
    {
        if (image is null)
        {
            return null;
        }

        using var stream = new MemoryStream(image);
        var header = ImageHeader.Read(stream);
        return new ImageReference(header.ImageId.ToArray(), header.Root.ToArray());
    }

    /// <summary>The measurement each confidential action was deployed with.</summary>
    public Dictionary<string, byte[]> Measurements { get; } = new(StringComparer.Ordinal);

    /// <summary>Creates sequence <paramref name="name"/> of deployed actions and its policy chain.</summary>
    public Task ChainAsync(string name, params string[] steps) => ChainAsync(name, confidential: true, steps);

    /// <summary>Creates sequence <paramref name="name"/>; a confidential one also gets its policy chain.</summary>
    public async Task ChainAsync(string name, bool confidential, params string[] steps)
    {
        var body = new JsonObject
        {
            ["exec"] = new JsonObject { ["kind"] = "sequence", ["components"] = new JsonArray([.. steps.Select(s => (JsonNode)$"/{Namespace}/{s}")]) },
        };
        using var response = await Client().PutAsync($"api/v1/namespaces/_/actions/{name}?overwrite=true", JsonContent.Create(body));
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        if (!confidential)
        {
            return;
        }

        _chains.RemoveAll(c => c.Name == name);
        _chains.Add(new PolicyChain { Name = name, Steps = steps });
        await PublishPolicyAsync();
    }

    /// <summary>
    /// The client-side edge keys of <paramref name="chain"/> (entry 0 → 1, exit n → n+1, and each step's log i → 0),
    /// obtained here by attesting as the chain's functions with the trusted simulated quoting key.
    /// </summary>
    public async Task<ChainKeySet> ChainKeysAsync(string chain)
    {
        var steps = _chains.Single(c => c.Name == chain).Steps;
        var keys = new List<EdgeKey>();
        for (var i = 0; i < steps.Count; i++)
        {
            using var released = await KmsClient.AttestAndReleaseAsync(Namespace, steps[i], new SimulatedEvidenceIssuer(Quoting, Measurements[steps[i]]));
            foreach (var wanted in new[] { (i, i + 1), (i + 1, i + 2), (i + 1, 0) })
            {
                var key = released.Edge(chain, wanted.Item1, wanted.Item2);
                if (key is not null && (wanted.Item1 == 0 || wanted.Item2 == 0 || wanted.Item2 == steps.Count + 1)
                    && !keys.Any(k => k.FromStep == key.FromStep && k.ToStep == key.ToStep))
                {
                    var copy = new byte[EdgeKey.Size];
                    key.CopyTo(copy);
                    keys.Add(EdgeKey.FromBytes(copy, chain, key.FromStep, key.ToStep));
                    CryptographicOperations.ZeroMemory(copy);
                }
            }
        }

        return new ChainKeySet(chain, steps.Count, keys);
    }

    private async Task PublishPolicyAsync()
    {
        var policy = new KmsPolicy
        {
            Namespace = Namespace,
            Version = ++_version,
            Owners = [new PolicyPrincipal { Id = "owner", PublicKey = Owner.PublicKeyBase64 }],
            Approvals = 1,
            AllowSimulation = true,
            Functions = [.. _functions],
            Chains = [.. _chains],
            Secrets = [.. _secrets],
        };
        await KmsClient.SetPolicyAsync(PolicySigner.AddSignature(new SignedPolicy { PolicyText = policy.ToJson() }, "owner", Owner).ToJson());
    }

    private static X509Certificate2 SelfSigned()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(System.Net.IPAddress.Loopback);
        san.AddDnsName("localhost");
        request.CertificateExtensions.Add(san.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients)
        {
            client.Dispose();
        }

        await Host.DisposeAsync();
        KmsClient.Dispose();
        await Kms.DisposeAsync();
        Quoting.Dispose();
        Owner.Dispose();
        Certificate.Dispose();
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // Best effort.
        }
    }
}

/// <summary>A client's keys of one chain.</summary>
internal sealed class ChainKeySet(string chain, int steps, IReadOnlyList<EdgeKey> keys) : IDisposable
{
    public string Chain { get; } = chain;
    public int Steps { get; } = steps;
    public EdgeKey Entry => keys.Single(k => k.FromStep == 0);
    public EdgeKey Exit => keys.Single(k => k.FromStep == Steps && k.ToStep == Steps + 1);
    public EdgeKey Log(int step) => keys.Single(k => k.FromStep == step && k.ToStep == 0);

    public void Dispose()
    {
        foreach (var key in keys)
        {
            key.Dispose();
        }
    }
}
