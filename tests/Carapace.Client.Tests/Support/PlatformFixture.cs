using System.Net;
using Carapace.Client.Gateway;
using Carapace.Client.Profiles;
using Carapace.Gateway;
using Carapace.Gateway.Auth;
using Carapace.Gateway.Tls;
using Microsoft.Data.Sqlite;

namespace Carapace.Client.Tests.Support;

/// <summary>
/// A real gateway on loopback serving a certificate from its data directory's platform CA, with namespace
/// <c>alice</c> and a credential for it; clients made here pin that CA.
/// </summary>
internal sealed class PlatformFixture : IAsyncDisposable
{
    private readonly List<IDisposable> _owned = [];

    private PlatformFixture(string dataDirectory, PlatformCertificateAuthority ca, NamespaceCredentials credentials, GatewayHost host)
    {
        DataDirectory = dataDirectory;
        Ca = ca;
        Credentials = credentials;
        Host = host;
        Alice = host.CreateNamespace("alice");
    }

    public string DataDirectory { get; }
    public PlatformCertificateAuthority Ca { get; }
    public NamespaceCredentials Credentials { get; }
    public GatewayHost Host { get; }
    public NamespaceCredential Alice { get; }

    public static string NewDirectory() => Path.Combine(Path.GetTempPath(), "carapace-client-tests", Guid.NewGuid().ToString("N"));

    /// <summary>Starts a gateway; <paramref name="serverCa"/> issues its certificate instead of the data directory's own CA.</summary>
    public static async Task<PlatformFixture> StartAsync(PlatformCertificateAuthority? serverCa = null, IPAddress? address = null)
    {
        var directory = NewDirectory();
        var ca = PlatformCertificateAuthority.LoadOrCreate(directory);
        var certificate = (serverCa ?? ca).IssueServerCertificate();
        var credentials = new NamespaceCredentials(NamespaceCredentials.PathIn(directory));
        var host = await GatewayHost.StartAsync(new GatewayOptions
        {
            DataDirectory = directory,
            Certificate = certificate,
            Credentials = credentials,
            Address = address ?? IPAddress.Loopback,
        });
        var fixture = new PlatformFixture(directory, ca, credentials, host);
        fixture._owned.Add(certificate);
        return fixture;
    }

    public GatewayClientOptions Options(string? auth = null, string? fingerprint = null, Uri? endpoint = null) => new()
    {
        Endpoint = endpoint ?? Host.Endpoint,
        Auth = auth ?? Alice.Auth,
        CaFingerprint = fingerprint ?? Ca.Fingerprint,
        CaCertificate = Ca.Certificate,
    };

    public GatewayClient Client(GatewayClientOptions? options = null)
    {
        var client = new GatewayClient(options ?? Options());
        _owned.Add(client);
        return client;
    }

    public PlatformProfile Profile() => new()
    {
        Gateway = Host.Endpoint,
        CaFingerprint = Ca.Fingerprint,
        Namespace = "alice",
        Auth = Alice.Auth,
    };

    public async ValueTask DisposeAsync()
    {
        await Host.DisposeAsync();
        foreach (var owned in _owned)
        {
            owned.Dispose();
        }

        Credentials.Dispose();
        Ca.Dispose();
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
