using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;

namespace Carapace.Cli.Bench;

/// <summary>
/// The honest baseline of <c>bench invoke</c>: the same module behind the same HTTP server — Kestrel over loopback
/// HTTPS (TLS 1.2/1.3, HTTP/1.1 and 2, an ECDSA P-256 certificate, routing on OpenWhisk's invoke path) — run by
/// in-process Wasmtime with Carapace's WASI (<see cref="DirectRunner"/>), and nothing else: no enclave process, no
/// envelopes, no activation records, no credentials. The body is the function's stdin, the response its stdout.
/// </summary>
internal sealed class BaselineServer : IAsyncDisposable
{
    private const string Route = "/api/v1/namespaces/{ns}/actions/{name}";
    private const int MaxBodyBytes = 1 << 20;

    private readonly WebApplication _app;
    private readonly X509Certificate2 _certificate;
    private readonly ConcurrentBag<DirectRunner> _runners = [];
    private readonly byte[] _module;

    private BaselineServer(WebApplication app, X509Certificate2 certificate, byte[] module)
    {
        _app = app;
        _certificate = certificate;
        _module = module;
    }

    /// <summary>The address to POST to (the invoke path of an action named <c>baseline</c>).</summary>
    public Uri Endpoint { get; private set; } = null!;

    /// <summary>
    /// Starts serving <paramref name="module"/> on a free loopback port, with <paramref name="runners"/> runners compiled
    /// up front (one per concurrent client), so that no timed request pays for a compilation.
    /// </summary>
    public static async Task<BaselineServer> StartAsync(byte[] module, int runners, CancellationToken cancellationToken)
    {
        var certificate = CreateCertificate();
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ApplicationName = "Carapace.Bench.Baseline" });
        builder.Services.AddRoutingCore();
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = MaxBodyBytes;
            kestrel.Listen(IPAddress.Loopback, 0, listen =>
            {
                listen.Protocols = HttpProtocols.Http1AndHttp2;
                listen.UseHttps(new HttpsConnectionAdapterOptions
                {
                    ServerCertificate = certificate,
                    SslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                    ClientCertificateMode = ClientCertificateMode.NoCertificate,
                });
            });
        });
        var app = builder.Build();
        var server = new BaselineServer(app, certificate, module);
        app.UseRouting();
        app.MapPost(Route, server.InvokeAsync);
        try
        {
            for (var i = 0; i < runners; i++)
            {
                server._runners.Add(new DirectRunner(module));
            }

            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await server.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.Endpoint = new Uri(new Uri(address), "/api/v1/namespaces/_/actions/baseline?blocking=true&result=true");
        return server;
    }

    /// <summary>A client that trusts exactly this server's certificate, configured like the Carapace client's.</summary>
    public HttpClient CreateClient()
    {
        var pinned = _certificate.GetCertHash(HashAlgorithmName.SHA256);
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseCookies = false,
            UseProxy = false,
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(60),
            SslOptions = new SslClientAuthenticationOptions
            {
                EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                    certificate is not null && CryptographicOperations.FixedTimeEquals(certificate.GetCertHash(HashAlgorithmName.SHA256), pinned),
            },
        };
        return new HttpClient(handler, disposeHandler: true) { Timeout = TimeSpan.FromSeconds(30) };
    }

    /// <summary>One baseline invocation: POSTs <paramref name="input"/>, checks the answer, returns the round trip.</summary>
    public static async Task<TimeSpan> InvokeAsync(HttpClient client, Uri endpoint, byte[] input, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        using var content = new ByteArrayContent(input);
        using var response = await client.PostAsync(endpoint, content, cancellationToken).ConfigureAwait(false);
        var output = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode || output.Length == 0)
        {
            throw new Infrastructure.CliFailure($"the baseline server answered {(int)response.StatusCode} with {output.Length} bytes", Infrastructure.ExitCodes.Rejected);
        }

        return watch.Elapsed;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(CancellationToken.None).ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        while (_runners.TryTake(out var runner))
        {
            runner.Dispose();
        }

        _certificate.Dispose();
    }

    private async Task InvokeAsync(HttpContext context)
    {
        var length = context.Request.ContentLength ?? 0;
        if (length is < 0 or > MaxBodyBytes)
        {
            context.Response.StatusCode = StatusCodes.Status413PayloadTooLarge;
            return;
        }

        var input = new byte[length];
        await context.Request.Body.ReadExactlyAsync(input, context.RequestAborted).ConfigureAwait(false);
        // One runner per concurrent request (a store is single-threaded); the engine's compiled module is reused.
        var runner = _runners.TryTake(out var idle) ? idle : new DirectRunner(_module);
        (int? ExitCode, byte[] Output) result;
        try
        {
            result = runner.RunForOutput(input);
        }
        finally
        {
            _runners.Add(runner);
        }

        context.Response.StatusCode = result.ExitCode is null or 0 ? StatusCodes.Status200OK : StatusCodes.Status502BadGateway;
        context.Response.ContentType = "application/octet-stream";
        context.Response.ContentLength = result.Output.Length;
        await context.Response.Body.WriteAsync(result.Output, context.RequestAborted).ConfigureAwait(false);
    }

    private static X509Certificate2 CreateCertificate()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=carapace bench baseline", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1", "Server Authentication")], false));
        var now = DateTimeOffset.UtcNow;
        using var self = request.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(1));
        // As the platform's certificate: a PKCS#12 round trip gives a key the TLS layer loads as from a file.
        var pfx = self.Export(X509ContentType.Pkcs12);
        try
        {
            return X509CertificateLoader.LoadPkcs12(pfx, null, X509KeyStorageFlags.EphemeralKeySet);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pfx);
        }
    }
}
