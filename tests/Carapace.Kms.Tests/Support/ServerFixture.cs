using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Carapace.Attestation;
using Carapace.Attestation.Simulation;
using Carapace.Kms.Client;
using Carapace.Kms.Client.Policy;
using Carapace.Kms.Server;
using Carapace.Attestation.Tee;

namespace Carapace.Kms.Tests.Support;

/// <summary>
/// A real KMS server on a loopback ephemeral port over a temp data folder and simulation folder, with captured logs,
/// owners to sign policies, a client trusting it, and a simulated enclave issuer on the same quoting key.
/// </summary>
internal sealed class ServerFixture : IAsyncDisposable
{
    private readonly SimulatedQuotingService _quoting;

    private ServerFixture(TempDir dir, KmsServer server, LogCapture logs)
    {
        Dir = dir;
        Server = server;
        Logs = logs;
        _quoting = SimulatedQuotingService.OpenOrCreate(SimulationDirectory(dir));
        Client = new KmsClient(server.Endpoint, KmsServerTrust.Simulation(server.QuotingKey));
    }

    public TempDir Dir { get; }

    public KmsServer Server { get; }

    public LogCapture Logs { get; }

    public Policies Owners { get; } = new();

    public KmsClient Client { get; }

    /// <summary>Starts the server; <paramref name="time"/> is its clock (the system clock when null).</summary>
    public static async Task<ServerFixture> StartAsync(TimeProvider? time = null)
    {
        var dir = new TempDir();
        var logs = new LogCapture();
        var server = await KmsServer.StartAsync(new KmsServerOptions
        {
            DataDirectory = dir.Path,
            Tee = TeeBackend.Simulation(SimulationDirectory(dir)),
            LoggerFactory = logs,
            TimeProvider = time ?? TimeProvider.System,
        });
        return new ServerFixture(dir, server, logs);
    }

    /// <summary>Simulation evidence of <paramref name="measurement"/> signed by the quoting key the KMS trusts.</summary>
    public IEvidenceIssuer Enclave(string measurementHex) => new SimulatedEvidenceIssuer(_quoting, Convert.FromHexString(measurementHex));

    /// <summary>Sets <paramref name="policy"/> (signed by alice) over HTTP and stores the db-password secret it declares.</summary>
    public async Task SetPolicyAsync(KmsPolicy policy, string secret = "hunter2")
    {
        await Client.SetPolicyAsync(Owners.Sign(policy, "alice"));
        if (policy.Secrets.Count > 0)
        {
            await Client.PutSecretAsync(policy.Namespace, "db-password", Encoding.UTF8.GetBytes(secret), Owners.Owner("alice"), "alice");
        }
    }

    /// <summary>An HTTP client that talks to the server without checking it (to send what a real client would not).</summary>
    public HttpClient RawClient(X509Certificate2? clientCertificate = null)
    {
        var handler = new SocketsHttpHandler();
        handler.SslOptions.RemoteCertificateValidationCallback = (_, _, _, _) => true;
        if (clientCertificate is not null)
        {
            handler.SslOptions.ClientCertificates = [clientCertificate];
            handler.SslOptions.LocalCertificateSelectionCallback = (_, _, _, _, _) => clientCertificate;
        }

        return new HttpClient(handler) { BaseAddress = Server.Endpoint, Timeout = TimeSpan.FromSeconds(30) };
    }

    public static ECDsa NewKey() => ECDsa.Create(ECCurve.NamedCurves.nistP256);

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Server.DisposeAsync();
        _quoting.Dispose();
        Owners.Dispose();
        Dir.Dispose();
    }

    private static string SimulationDirectory(TempDir dir) => System.IO.Path.Combine(dir.Path, "sim");
}
