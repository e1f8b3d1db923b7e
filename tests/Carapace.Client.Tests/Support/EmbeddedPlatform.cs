using Carapace.Client.Profiles;
using Carapace.Gateway;
using Carapace.Gateway.Auth;
using Carapace.Gateway.Tls;
using Carapace.Kms;
using Carapace.Kms.Client;
using Carapace.Kms.Policy;
using Carapace.Kms.Server;
using Carapace.Platform;
using Microsoft.Data.Sqlite;

namespace Carapace.Client.Tests.Support;

/// <summary>
/// A real embedded platform (HTTPS gateway with a certificate from the data directory's platform CA, controller,
/// worker with enclave processes) attesting to a real KMS, and the data directory a client uses: platform.json with
/// namespace <c>guest</c>, the KMS, and owner and client key files. Unless told otherwise the namespace starts with the
/// policy <c>carapace up</c> would write: this owner, this client, simulation allowed, nothing deployed.
/// </summary>
internal sealed class EmbeddedPlatform : IAsyncDisposable
{
    public const string Namespace = "guest";
    public const string OwnerId = "owner";
    public const string ClientId = "cli";

    private EmbeddedPlatform(string root, KmsServer kms, PlatformCertificateAuthority ca, PlatformHost host, NamespaceCredential guest, PlatformProfile profile)
    {
        Root = root;
        Kms = kms;
        Ca = ca;
        Host = host;
        Guest = guest;
        Profile = profile;
    }

    public string Root { get; }
    public KmsServer Kms { get; }
    public PlatformCertificateAuthority Ca { get; }
    public PlatformHost Host { get; }
    public NamespaceCredential Guest { get; }

    /// <summary>The profile as loaded back from the data directory's platform.json.</summary>
    public PlatformProfile Profile { get; }

    public string DataDirectory => Path.Combine(Root, "client");

    public static async Task<EmbeddedPlatform> StartAsync(bool withPolicy = true, long maxInvocationBytes = 16L * 1024 * 1024)
    {
        var root = Path.Combine(Path.GetTempPath(), "carapace-client-tests", Guid.NewGuid().ToString("N"));
        var sim = Path.Combine(root, "sim");
        Directory.CreateDirectory(sim);
        var kms = await KmsServer.StartAsync(new KmsServerOptions { DataDirectory = root, SimulationDirectory = sim });
        var ca = PlatformCertificateAuthority.LoadOrCreate(root);
        var host = await PlatformHost.StartAsync(new PlatformOptions
        {
            DataDirectory = root,
            Certificate = ca.IssueServerCertificate(),
            Kms = new KmsAdvertisement(kms.Endpoint, KmsIdentity.MeasurementHex, kms.QuotingKey),
            StemCells = 1,
            MaxEnclavesPerAction = 2,
            MaxInvocationBytes = maxInvocationBytes,
        });
        var guest = host.Gateway.CreateNamespace(Namespace);

        var data = Path.Combine(root, "client");
        Directory.CreateDirectory(Path.Combine(data, "tls"));
        File.Copy(PlatformCertificateAuthority.CertificatePathIn(root), PlatformProfile.CaCertificatePathIn(data));
        using var owner = OwnerKey.Create(Path.Combine(data, "owner.key"));
        using var client = OwnerKey.Create(Path.Combine(data, "client.key"));
        new PlatformProfile
        {
            Gateway = host.Endpoint,
            CaFingerprint = ca.Fingerprint,
            Namespace = Namespace,
            Auth = guest.Auth,
            Kms = new PlatformKms(kms.Endpoint.AbsoluteUri, KmsIdentity.MeasurementHex, Convert.ToBase64String(kms.QuotingKey.Span)),
            OwnerKey = "owner.key",
            OwnerId = OwnerId,
            ClientKey = "client.key",
            ClientId = ClientId,
        }.Save(data);
        if (withPolicy)
        {
            var policy = new KmsPolicy
            {
                Namespace = Namespace,
                Version = 1,
                Owners = [new PolicyPrincipal { Id = OwnerId, PublicKey = owner.PublicKeyBase64 }],
                Approvals = 1,
                AllowSimulation = true,
                Functions = [],
                Clients = [new PolicyPrincipal { Id = ClientId, PublicKey = client.PublicKeyBase64 }],
            };
            using var kmsClient = new KmsClient(kms.Endpoint, KmsServerTrust.Simulation(kms.QuotingKey));
            await kmsClient.SetPolicyAsync(PolicySigner.Sign(policy.ToJson(), OwnerId, owner).ToJson());
        }

        return new EmbeddedPlatform(root, kms, ca, host, guest, PlatformProfile.Load(data));
    }

    /// <summary>A client of this platform (the caller disposes it).</summary>
    public CarapaceClient Client(PlatformProfile? profile = null) => CarapaceClient.Create(profile ?? Profile);

    /// <summary>The namespace's current policy, read from the KMS.</summary>
    public async Task<KmsPolicy> PolicyAsync()
    {
        using var kmsClient = new KmsClient(Kms.Endpoint, KmsServerTrust.Simulation(Kms.QuotingKey));
        var signed = await kmsClient.GetPolicyAsync(Namespace);
        return KmsPolicy.Parse(signed!.PolicyText);
    }

    public async ValueTask DisposeAsync()
    {
        await Host.DisposeAsync();
        await Kms.DisposeAsync();
        Ca.Dispose();
        SqliteConnection.ClearAllPools();
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
