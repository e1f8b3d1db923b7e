using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Carapace.Gateway.Auth;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Carapace.Gateway.Tests.Support;

/// <summary>
/// A real gateway on loopback HTTPS with a fresh data directory and a self-signed certificate that the clients
/// accept by thumbprint only, plus namespace <c>alice</c> (and <c>bob</c>) with credentials.
/// </summary>
internal sealed class GatewayFixture : IAsyncDisposable
{
    private readonly List<HttpClient> _clients = [];

    private GatewayFixture(string directory, X509Certificate2 certificate, NamespaceCredentials credentials, GatewayHost host,
        FakeTimeProvider time)
    {
        Directory = directory;
        Certificate = certificate;
        Credentials = credentials;
        Host = host;
        Time = time;
        Alice = host.CreateNamespace("alice");
        Bob = host.CreateNamespace("bob");
    }

    public string Directory { get; }
    public X509Certificate2 Certificate { get; }
    public NamespaceCredentials Credentials { get; }
    public GatewayHost Host { get; }
    public FakeTimeProvider Time { get; }
    public NamespaceCredential Alice { get; }
    public NamespaceCredential Bob { get; }

    public static async Task<GatewayFixture> StartAsync(long maxRequestBytes = GatewayOptions.DefaultMaxRequestBytes,
        TimeSpan? requestHeadersTimeout = null, TimeSpan? minRequestBodyGracePeriod = null, ILoggerFactory? loggers = null)
    {
        var directory = Path.Combine(Path.GetTempPath(), "carapace-gateway-tests", Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(directory);
        var certificate = SelfSigned();
        var credentials = new NamespaceCredentials(NamespaceCredentials.PathIn(directory));
        var time = new FakeTimeProvider(new DateTimeOffset(2025, 6, 1, 12, 0, 0, TimeSpan.Zero));
        var host = await GatewayHost.StartAsync(new GatewayOptions
        {
            DataDirectory = directory,
            Certificate = certificate,
            Credentials = credentials,
            MaxRequestBytes = maxRequestBytes,
            TimeProvider = time,
            RequestHeadersTimeout = requestHeadersTimeout ?? TimeSpan.FromSeconds(30),
            MinRequestBodyGracePeriod = minRequestBodyGracePeriod ?? TimeSpan.FromSeconds(5),
            LoggerFactory = loggers ?? Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance,
        });
        return new GatewayFixture(directory, certificate, credentials, host, time);
    }

    /// <summary>A client that trusts exactly this gateway's certificate and sends <paramref name="auth"/> (uuid:key), if any.</summary>
    public HttpClient Client(string? auth)
    {
        var thumbprint = Certificate.GetCertHashString(HashAlgorithmName.SHA256);
        var handler = new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                    certificate is not null && certificate.GetCertHashString(HashAlgorithmName.SHA256) == thumbprint,
            },
        };
        var client = new HttpClient(handler) { BaseAddress = Host.Endpoint };
        if (auth is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(auth)));
        }

        _clients.Add(client);
        return client;
    }

    public HttpClient AliceClient() => Client(Alice.Auth);

    public static async Task<JsonElement> JsonAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        using var document = JsonDocument.Parse(text);
        return document.RootElement.Clone();
    }

    /// <summary>Asserts the status and OpenWhisk's error body: a string <c>error</c> and the request id as <c>code</c>.</summary>
    public static async Task<string> AssertErrorAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        Assert.Equal(status, response.StatusCode);
        var body = await JsonAsync(response);
        Assert.Equal(JsonValueKind.Object, body.ValueKind);
        Assert.Equal(["code", "error"], body.EnumerateObject().Select(p => p.Name).Order());
        var code = body.GetProperty("code").GetString();
        Assert.Matches("^[0-9a-f]{32}$", code);
        Assert.Equal(code, response.Headers.GetValues("X-Request-ID").Single());
        return body.GetProperty("error").GetString()!;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients)
        {
            client.Dispose();
        }

        await Host.DisposeAsync();
        Credentials.Dispose();
        Certificate.Dispose();
        SqliteConnection.ClearAllPools();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static X509Certificate2 SelfSigned()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=carapace-gateway-test", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        var now = DateTimeOffset.UtcNow;
        return request.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(1));
    }
}
