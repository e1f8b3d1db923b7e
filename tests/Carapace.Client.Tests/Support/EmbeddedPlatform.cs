using Carapace.Client.Profiles;
using Carapace.Gateway;
using Carapace.Gateway.Auth;
using Carapace.Gateway.Tls;
using Carapace.Kms.Client;
using Carapace.Kms.Client.Policy;
using Carapace.Kms.Server;
using Carapace.Platform;
using Microsoft.Data.Sqlite;
using Carapace.Attestation.Tee;

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
    /// <summary>The KMS (a new instance on the same port and data after <see cref="RestartKmsAsync"/>).</summary>
    public KmsServer Kms { get; private set; }

    /// <summary>Whether <see cref="StopKms"/> stopped the KMS and it has not been restarted.</summary>
    public bool KmsStopped { get; private set; }
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
        var kms = await KmsServer.StartAsync(new KmsServerOptions { DataDirectory = root, Tee = TeeBackend.Simulation(sim) });
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

    /// <summary>
    /// Stops the KMS now (synchronously, so a progress callback can stop it between two steps of a deploy); requests
    /// to it then fail as unreachable until <see cref="RestartKmsAsync"/>.
    /// </summary>
    public void StopKms()
    {
        if (!KmsStopped)
        {
            KmsStopped = true;
            Kms.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }

    /// <summary>Starts the KMS again on the same port and data (policy, secrets, keys), as after a crash and restart.</summary>
    public async Task RestartKmsAsync()
    {
        StopKms();
        SqliteConnection.ClearAllPools();
        Kms = await KmsServer.StartAsync(new KmsServerOptions
        {
            DataDirectory = Root,
            Tee = TeeBackend.Simulation(Path.Combine(Root, "sim")),
            Port = Kms.Endpoint.Port,
        });
        KmsStopped = false;
    }

    /// <summary>
    /// Makes the namespace policy need 2 of 2 owners for its next version (adding a second owner, signed by the first
    /// alone as the current 1-of-2 allows), so an update signed only by the profile's owner is refused.
    /// </summary>
    public async Task<KmsPolicy> RequireTwoOwnersAsync()
    {
        var current = await PolicyAsync();
        using var second = OwnerKey.Create(Path.Combine(Root, "second-owner.key"));
        using var owner = OwnerKey.Load(Path.Combine(DataDirectory, "owner.key"));
        var next = current with
        {
            Version = current.Version + 1,
            Owners = [.. current.Owners, new PolicyPrincipal { Id = "second", PublicKey = second.PublicKeyBase64 }],
            Approvals = 2,
        };
        using var kmsClient = new KmsClient(Kms.Endpoint, KmsServerTrust.Simulation(Kms.QuotingKey));
        await kmsClient.SetPolicyAsync(PolicySigner.Sign(next.ToJson(), OwnerId, owner).ToJson());
        return await PolicyAsync();
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
        StopKms();
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
