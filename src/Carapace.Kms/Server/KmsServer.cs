using System.Net;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Carapace.Attestation.RaTls;
using Carapace.Attestation.Tee;
using Carapace.Kms.Client;
using Carapace.Kms.Client.Api;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Carapace.Kms.Server;

/// <summary>
/// The KMS over attested TLS: a <see cref="KmsService"/> behind an HTTPS API (ASP.NET Core minimal APIs on Kestrel)
/// whose server certificate is an RA-TLS certificate, so clients verify what code they talk to before they upload a
/// policy or secret, and enclaves prove what code they run (with an RA-TLS client certificate) before they get keys.
/// </summary>
/// <remarks>
/// At start the KMS makes a fresh P-256 TLS key that never leaves memory and an RA-TLS certificate carrying evidence of
/// <see cref="KmsIdentity.Measurement"/> from the backend it was given (<see cref="KmsServerOptions.Tee"/>): on an Intel
/// TDX or AMD SEV-SNP confidential VM a quote or report that binds the KMS identity as its workload
/// (<see cref="WorkloadBinding"/>); in simulation, evidence signed by the simulated quoting key, with a loud warning. The
/// simulation quoting key is also the one whose evidence from enclaves the KMS accepts, for namespaces whose policy sets
/// <c>allowSimulation</c>; a KMS on hardware accepts no simulation evidence.
/// </remarks>
public sealed class KmsServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly KmsService _kms;
    private readonly TeeBackend _tee;
    private readonly ECDsa _tlsKey;
    private readonly X509Certificate2 _tlsCertificate;
    private readonly ILogger _logger;
    private bool _stopped;
    private bool _disposed;

    private KmsServer(WebApplication app, KmsService kms, TeeBackend tee, ECDsa tlsKey, X509Certificate2 tlsCertificate, ILogger logger, Uri endpoint)
    {
        _app = app;
        _kms = kms;
        _tee = tee;
        _tlsKey = tlsKey;
        _tlsCertificate = tlsCertificate;
        _logger = logger;
        Endpoint = endpoint;
        Certificate = X509CertificateLoader.LoadCertificate(tlsCertificate.RawData);
    }

    /// <summary>The base address of the API, e.g. <c>https://127.0.0.1:43011/</c>.</summary>
    public Uri Endpoint { get; }

    /// <summary>The KMS's RA-TLS server certificate (public part only).</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>The measurement the KMS attests: <see cref="KmsIdentity.Measurement"/>.</summary>
    public ReadOnlyMemory<byte> Measurement => KmsIdentity.Measurement;

    /// <summary>
    /// The simulated quoting key (DER SubjectPublicKeyInfo) that signs the KMS's evidence, which clients must trust
    /// explicitly; empty when the KMS runs on hardware.
    /// </summary>
    public ReadOnlyMemory<byte> QuotingKey => _tee.SimulationQuotingKey;

    /// <summary>The TEE the KMS runs in.</summary>
    public TeeKind Tee => _tee.Kind;

    /// <summary>True when the KMS's evidence is simulation evidence.</summary>
    public bool IsSimulated => _tee.IsSimulated;

    /// <summary>The KMS behind the API (for tests and for embedding).</summary>
    internal KmsService Service => _kms;

    /// <summary>
    /// Opens the KMS in <see cref="KmsServerOptions.DataDirectory"/>, issues its RA-TLS certificate and starts listening.
    /// </summary>
    /// <exception cref="ArgumentException">The options are invalid; the message lists every problem.</exception>
    /// <exception cref="KmsKeyFileException">The KMS master key file is unreadable, too widely readable or damaged.</exception>
    /// <exception cref="Attestation.AttestationException">The backend cannot issue the KMS's evidence.</exception>
    /// <exception cref="IOException">The address and port cannot be bound.</exception>
    public static async Task<KmsServer> StartAsync(KmsServerOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = options.Validate();
        if (problems.Count > 0)
        {
            throw new ArgumentException("invalid KMS server options:" + string.Concat(problems.Select(p => "\n  - " + p)), nameof(options));
        }

        var logger = options.LoggerFactory.CreateLogger("Carapace.Kms");
        var tee = options.Tee;
        KmsService? kms = null;
        ECDsa? tlsKey = null;
        X509Certificate2? certificate = null;
        WebApplication? app = null;
        try
        {
            kms = new KmsService(new KmsOptions
            {
                DataDirectory = options.DataDirectory,
                TimeProvider = options.TimeProvider,
                SimulationQuotingKeys = tee.IsSimulated ? [tee.SimulationQuotingKey] : [],
                Trust = options.Trust,
            });
            tlsKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var issuer = tee.IssuerFor(KmsIdentity.Measurement);
            certificate = await RaTlsCertificateFactory.CreateAsync(tlsKey, issuer, ReadOnlyMemory<byte>.Empty, "carapace-kms",
                options.CertificateValidity, options.TimeProvider, cancellationToken).ConfigureAwait(false);

            app = Build(options, kms, certificate, logger);
            try
            {
                await app.StartAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or SocketException || e.InnerException is SocketException or IOException)
            {
                throw new IOException($"the KMS cannot listen on {options.Address}:{options.Port}: {e.Message}", e);
            }

            var endpoint = EndpointOf(app, options.Address);
            var server = new KmsServer(app, kms, tee, tlsKey, certificate, logger, endpoint);
            if (tee.IsSimulated)
            {
                KmsServerLog.Simulation(logger, tee.Description);
            }
            else
            {
                KmsServerLog.Hardware(logger, TeeKinds.Name(tee.Kind), tee.Description);
            }

            if (options.Trust.HasCustomRoots)
            {
                KmsServerLog.CustomRoots(logger);
            }

            if (kms.Warning is { } warning)
            {
                KmsServerLog.MasterKeyWarning(logger, warning);
            }

            KmsServerLog.Started(logger, endpoint, KmsIdentity.MeasurementHex);
            return server;
        }
        catch
        {
            if (app is not null)
            {
                await app.DisposeAsync().ConfigureAwait(false);
            }

            certificate?.Dispose();
            tlsKey?.Dispose();
            kms?.Dispose();
            tee.Dispose();
            throw;
        }
    }

    /// <summary>Stops accepting requests and lets running ones finish (until <paramref name="cancellationToken"/> fires).</summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (!_stopped)
        {
            _stopped = true;
            KmsServerLog.Stopping(_logger);
            await _app.StopAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Stops the server, zeroes the KMS's keys and closes its database.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        try
        {
            await StopAsync().ConfigureAwait(false);
        }
        finally
        {
            _disposed = true;
            await _app.DisposeAsync().ConfigureAwait(false);
            _tlsCertificate.Dispose();
            Certificate.Dispose();
            _tlsKey.Dispose();
            _kms.Dispose();
            _tee.Dispose();
        }
    }

    private static WebApplication Build(KmsServerOptions options, KmsService kms, X509Certificate2 certificate, ILogger logger)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ApplicationName = "Carapace.Kms" });
        builder.Services.AddLogging();
        builder.Services.AddSingleton(options.LoggerFactory);
        builder.Services.AddRoutingCore();
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = KmsApiPaths.MaxRequestBytes;
            kestrel.Listen(options.Address, options.Port, listen =>
            {
                listen.Protocols = HttpProtocols.Http1AndHttp2;
                listen.UseHttps(new HttpsConnectionAdapterOptions
                {
                    ServerCertificate = certificate,
                    SslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                    // Enclaves present RA-TLS certificates: self-signed, vouched for by their evidence, which the release
                    // handler verifies. Other requests need no client certificate.
                    ClientCertificateMode = ClientCertificateMode.AllowCertificate,
                    ClientCertificateValidation = (_, _, _) => true,
                    CheckCertificateRevocation = false,
                });
            });
        });

        var app = builder.Build();
        new KmsEndpoints(kms, logger, options.TimeProvider).Map(app);
        return app;
    }

    private static Uri EndpointOf(WebApplication app, IPAddress address)
    {
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses
            ?? throw new InvalidOperationException("Kestrel did not report the address it listens on");
        var bound = new Uri(addresses.First());
        var host = address.Equals(IPAddress.Any) ? IPAddress.Loopback
            : address.Equals(IPAddress.IPv6Any) ? IPAddress.IPv6Loopback
            : address;
        var text = host.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{host}]" : host.ToString();
        return new Uri($"https://{text}:{bound.Port}/");
    }
}
