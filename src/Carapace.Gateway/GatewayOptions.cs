using System.Net;
using System.Security.Cryptography.X509Certificates;
using Carapace.Controller.Invocation;
using Carapace.Gateway.Auth;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Carapace.Gateway;

/// <summary>How a <see cref="GatewayHost"/> runs. Checked as a whole by <see cref="Validate"/> before anything starts.</summary>
public sealed class GatewayOptions
{
    /// <summary>The default request size limit: 50 MiB, which holds the JSON of a module of up to about 37 MiB once base64-encoded.</summary>
    public const long DefaultMaxRequestBytes = 50L * 1024 * 1024;

    /// <summary>Where state lives: the controller database in <c>controller/controller.db</c>.</summary>
    public required string DataDirectory { get; init; }

    /// <summary>The address to listen on; loopback by default.</summary>
    public IPAddress Address { get; init; } = IPAddress.Loopback;

    /// <summary>The TCP port; 0 (the default) picks a free one, reported by <see cref="GatewayHost.Endpoint"/>.</summary>
    public int Port { get; init; }

    /// <summary>The HTTPS server certificate; it must carry its private key. The gateway serves HTTPS only.</summary>
    public required X509Certificate2 Certificate { get; init; }

    /// <summary>The namespace credentials that authenticate callers; the host does not dispose it.</summary>
    public required NamespaceCredentials Credentials { get; init; }

    /// <summary>
    /// The database the controller's stores live in (cluster mode: PostgreSQL, shared by every node); the gateway opens
    /// its registries and activation records on it and leaves it open. Null (embedded mode): the SQLite file
    /// <see cref="GatewayHost.ControllerDatabasePath"/> under <see cref="DataDirectory"/>.
    /// </summary>
    public Controller.Storage.StoreDatabase? Database { get; init; }

    /// <summary>The largest request body accepted, in bytes (including base64 code); larger ones get a 413.</summary>
    public long MaxRequestBytes { get; init; } = DefaultMaxRequestBytes;

    /// <summary>The largest invocation body (envelope or JSON parameters) accepted; larger ones get a 413. Default 16 MiB.</summary>
    public long MaxInvocationBytes { get; init; } = 16L * 1024 * 1024;

    /// <summary>
    /// How long a client may take to send a request's headers (Kestrel's <c>RequestHeadersTimeout</c>); past it the
    /// connection is answered 408 and closed. Default 30 s.
    /// </summary>
    public TimeSpan RequestHeadersTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The slowest a request body may arrive, in bytes per second, once <see cref="MinRequestBodyGracePeriod"/> has
    /// passed (Kestrel's <c>MinRequestBodyDataRate</c>); a slower (or stalled) body is answered 408 with OpenWhisk's
    /// error body. Default 240 bytes/s.
    /// </summary>
    public double MinRequestBodyBytesPerSecond { get; init; } = 240;

    /// <summary>How long a request body may arrive slower than <see cref="MinRequestBodyBytesPerSecond"/> before it is refused; more than 1 s. Default 5 s.</summary>
    public TimeSpan MinRequestBodyGracePeriod { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a blocking invocation waits before it answers 202 with the activation id, as OpenWhisk (60 s).</summary>
    public TimeSpan BlockingWait { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Runs invocations (scheduling, routing, activation records); null for a management-only gateway, whose
    /// invocation route answers 503. The host does not dispose it.
    /// </summary>
    public InvocationService? Invocations { get; init; }

    /// <summary>Seals and opens the payloads of actions deployed with <c>confidential: false</c>; null refuses them.</summary>
    public IPlaintextBridge? Plaintext { get; init; }

    /// <summary>What <c>GET /api/v1/carapace/info</c> tells clients about the KMS (where it is and what it attests); null: nothing.</summary>
    public KmsAdvertisement? Kms { get; init; }

    /// <summary>
    /// The platform's health as <c>GET /api/v1/carapace/info</c> reports it, asked on every request: the supervised
    /// KMS (whose advertisement then replaces <see cref="Kms"/>, since a restarted KMS may have moved) and the stem cells.
    /// </summary>
    public Func<PlatformHealth>? Health { get; init; }

    /// <summary>The clock of action and activation records.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Where the gateway logs (metadata only, never bodies or credentials).</summary>
    public ILoggerFactory LoggerFactory { get; init; } = NullLoggerFactory.Instance;

    /// <summary>Every problem with these options, one sentence each; empty when they are valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(DataDirectory))
        {
            problems.Add("DataDirectory is empty; give the folder where the gateway keeps its state.");
        }

        if (Address is null)
        {
            problems.Add("Address is null; use IPAddress.Loopback to listen locally.");
        }

        if (Port is < 0 or > 65535)
        {
            problems.Add($"Port {Port} is outside 0..65535; use 0 to pick a free port.");
        }

        if (Certificate is null)
        {
            problems.Add("Certificate is null; the gateway serves HTTPS only and needs a server certificate.");
        }
        else if (!Certificate.HasPrivateKey)
        {
            problems.Add($"Certificate {Certificate.Subject} has no private key; load it with its key to serve HTTPS.");
        }

        if (Credentials is null)
        {
            problems.Add("Credentials is null; open a NamespaceCredentials store for the gateway to authenticate callers.");
        }

        if (MaxRequestBytes < 1024)
        {
            problems.Add($"MaxRequestBytes {MaxRequestBytes} is below 1024; requests need room for their JSON.");
        }

        if (MaxInvocationBytes < 1024)
        {
            problems.Add($"MaxInvocationBytes {MaxInvocationBytes} is below 1024; an envelope needs room for its header.");
        }

        if (RequestHeadersTimeout <= TimeSpan.Zero)
        {
            problems.Add($"RequestHeadersTimeout {RequestHeadersTimeout} is not positive; Kestrel's default is 30 s.");
        }

        if (!(MinRequestBodyBytesPerSecond > 0) || double.IsInfinity(MinRequestBodyBytesPerSecond))
        {
            problems.Add($"MinRequestBodyBytesPerSecond {MinRequestBodyBytesPerSecond} is not a positive rate; Kestrel's default is 240.");
        }

        if (MinRequestBodyGracePeriod <= TimeSpan.FromSeconds(1))
        {
            problems.Add($"MinRequestBodyGracePeriod {MinRequestBodyGracePeriod} is not more than 1 s (Kestrel checks data rates once a second); the default is 5 s.");
        }

        if (BlockingWait <= TimeSpan.Zero)
        {
            problems.Add($"BlockingWait {BlockingWait} is not positive; OpenWhisk waits 60 s.");
        }

        if (TimeProvider is null)
        {
            problems.Add("TimeProvider is null; use TimeProvider.System.");
        }

        if (LoggerFactory is null)
        {
            problems.Add("LoggerFactory is null; use NullLoggerFactory.Instance for no logging.");
        }

        return problems;
    }
}
