using System.Net;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text.Json.Nodes;
using Carapace.Controller.Activations;
using Carapace.Controller.Invocation;
using Carapace.Controller.Registry;
using Carapace.Gateway.Actions;
using Carapace.Gateway.Activations;
using Carapace.Gateway.Auth;
using Carapace.Gateway.Http;
using Carapace.Gateway.Invocations;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Carapace.Gateway;

/// <summary>
/// The gateway: an HTTPS-only Kestrel host serving the management half of the OpenWhisk-compatible REST API
/// (namespaces, actions, activations) over the controller's registry and activation records, behind OpenWhisk-style
/// <c>uuid:key</c> basic auth, and invocation through the controller's <see cref="InvocationService"/> when one is given.
/// </summary>
public sealed class GatewayHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly NamespaceCredentials _credentials;
    private readonly ILogger _logger;
    private bool _stopped;
    private bool _disposed;

    private GatewayHost(WebApplication app, ActionRegistry registry, ActivationStore activations, Entities.EntityRegistries entities,
        NamespaceCredentials credentials, ILogger logger, Uri endpoint)
    {
        _app = app;
        Registry = registry;
        Entities = entities;
        Activations = activations;
        _credentials = credentials;
        _logger = logger;
        Endpoint = endpoint;
    }

    /// <summary>The base address, e.g. <c>https://127.0.0.1:43011/</c>; the API is under <c>api/v1/</c>.</summary>
    public Uri Endpoint { get; }

    /// <summary>The controller's action registry the API serves (in <see cref="ControllerDatabasePath"/>).</summary>
    public ActionRegistry Registry { get; }

    /// <summary>The controller's activation records the API serves (in <see cref="ControllerDatabasePath"/>).</summary>
    public ActivationStore Activations { get; }

    /// <summary>The controller's packages, triggers and rules (in <see cref="ControllerDatabasePath"/>).</summary>
    internal Entities.EntityRegistries Entities { get; }

    /// <summary>The controller database under a data directory: <c>controller/controller.db</c>.</summary>
    public static string ControllerDatabasePath(string dataDirectory) => Path.Combine(dataDirectory, "controller", "controller.db");

    /// <summary>
    /// Opens the controller's stores in <see cref="GatewayOptions.DataDirectory"/> and starts listening over HTTPS.
    /// </summary>
    /// <exception cref="ArgumentException">The options are invalid; the message lists every problem.</exception>
    /// <exception cref="IOException">The address and port cannot be bound.</exception>
    public static async Task<GatewayHost> StartAsync(GatewayOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = options.Validate();
        if (problems.Count > 0)
        {
            throw new ArgumentException("invalid gateway options:" + string.Concat(problems.Select(p => "\n  - " + p)), nameof(options));
        }

        var logger = options.LoggerFactory.CreateLogger("Carapace.Gateway");
        var database = ControllerDatabasePath(options.DataDirectory);
        ActionRegistry? registry = null;
        ActivationStore? activations = null;
        Entities.EntityRegistries? entities = null;
        WebApplication? app = null;
        try
        {
            if (options.Database is { } shared)
            {
                registry = new ActionRegistry(shared, options.TimeProvider, new ActionRules());
                activations = new ActivationStore(shared, options.TimeProvider);
                entities = new Entities.EntityRegistries(shared, options.TimeProvider);
            }
            else
            {
                registry = new ActionRegistry(database, options.TimeProvider, new ActionRules());
                activations = new ActivationStore(database, options.TimeProvider);
                entities = new Entities.EntityRegistries(database, options.TimeProvider);
            }
            app = Build(options, registry, activations, entities, logger);
            try
            {
                await app.StartAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or SocketException || e.InnerException is SocketException or IOException)
            {
                throw new IOException($"the gateway cannot listen on {options.Address}:{options.Port}: {e.Message}", e);
            }

            var endpoint = EndpointOf(app, options.Address);
            GatewayLog.Started(logger, endpoint);
            return new GatewayHost(app, registry, activations, entities, options.Credentials, logger, endpoint);
        }
        catch
        {
            if (app is not null)
            {
                await app.DisposeAsync().ConfigureAwait(false);
            }

            entities?.Dispose();
            activations?.Dispose();
            registry?.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Creates <paramref name="namespace"/> in the registry (if new) and issues a credential for it; the returned
    /// key is shown this once and stored only as a salted hash.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="namespace"/> is not a valid namespace name.</exception>
    public NamespaceCredential CreateNamespace(string @namespace)
    {
        Registry.CreateNamespace(@namespace);
        return _credentials.CreateNamespace(@namespace);
    }

    /// <summary>True when <paramref name="uuid"/>:<paramref name="key"/> is a valid credential of <paramref name="namespace"/>.</summary>
    public bool Authenticates(string uuid, string key, string @namespace) =>
        _credentials.TryAuthenticate(uuid, key, out var found) && found == @namespace;

    /// <summary>Stops accepting requests and lets running ones finish (until <paramref name="cancellationToken"/> fires).</summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (!_stopped)
        {
            _stopped = true;
            GatewayLog.Stopping(_logger);
            await _app.StopAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Stops the server and closes the controller's stores (not the credentials store, which the caller owns).</summary>
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
            Entities.Dispose();
            Activations.Dispose();
            Registry.Dispose();
        }
    }

    private static WebApplication Build(GatewayOptions options, ActionRegistry registry, ActivationStore activations,
        Entities.EntityRegistries entities, ILogger logger)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ApplicationName = "Carapace.Gateway" });
        builder.Services.AddLogging();
        builder.Services.AddSingleton<ILoggerFactory>(new GatewayLoggerFactory(options.LoggerFactory));
        builder.Services.AddRoutingCore();
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = options.MaxRequestBytes;
            kestrel.Limits.RequestHeadersTimeout = options.RequestHeadersTimeout;
            RequestHeadLimits.Apply(kestrel.Limits);
            kestrel.Limits.MinRequestBodyDataRate = new MinDataRate(options.MinRequestBodyBytesPerSecond, options.MinRequestBodyGracePeriod);
            kestrel.Listen(options.Address, options.Port, listen =>
            {
                listen.Protocols = HttpProtocols.Http1AndHttp2;
                listen.UseHttps(new HttpsConnectionAdapterOptions
                {
                    ServerCertificate = options.Certificate,
                    SslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                    ClientCertificateMode = ClientCertificateMode.NoCertificate,
                });
            });
        });

        var app = builder.Build();
        var pipeline = new GatewayPipeline(options.Credentials, options, logger);
        app.Use(pipeline.InvokeAsync);
        app.UseRouting();
        app.MapGet("/api/v1/namespaces", context =>
            JsonOutput.WriteAsync(context, StatusCodes.Status200OK, new JsonArray(GatewayRequest.Of(context).Namespace)));
        app.MapGet("/api/v1/carapace/info", context => JsonOutput.WriteAsync(context, StatusCodes.Status200OK, Info(options, context)));
        new ActionEndpoints(registry, options.MaxRequestBytes, logger).Map(app);
        new InvokeEndpoints(activations, options.Invocations, options.Plaintext, options.MaxInvocationBytes, options.BlockingWait, logger).Map(app);
        new ActivationEndpoints(activations).Map(app);
        new Namespaces.NamespaceEndpoints(registry, options, entities).Map(app);
        entities.Map(app, registry, activations, options, logger);
        new Web.WebEndpoints(Web.WebEndpoints.RegistryLookup(registry), activations, options.Invocations, options.Plaintext,
            options.MaxInvocationBytes, options.BlockingWait, logger).Map(app);
        return app;
    }

    /// <summary>
    /// Carapace's <c>/api/v1/carapace/info</c>: the caller's namespace, the platform version, the KMS advertisement and,
    /// when the platform reports it, the health of the KMS and of the stem cells (see <see cref="PlatformInfo"/>).
    /// </summary>
    private static JsonObject Info(GatewayOptions options, HttpContext context) =>
        PlatformInfo.Build(GatewayRequest.Of(context).Namespace, options.Invocations is not null, options.Kms, options.Health?.Invoke(),
            options.TimeProvider);

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
