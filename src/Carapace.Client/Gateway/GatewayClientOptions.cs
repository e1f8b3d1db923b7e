using System.Security.Cryptography.X509Certificates;
using Carapace.Client.Profiles;

namespace Carapace.Client.Gateway;

/// <summary>How a <see cref="GatewayClient"/> connects. Checked as a whole by <see cref="Validate"/>.</summary>
public sealed class GatewayClientOptions
{
    /// <summary>The default time a request may take.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(100);

    /// <summary>The gateway's https:// base address.</summary>
    public required Uri Endpoint { get; init; }

    /// <summary>The namespace credential, <c>uuid:key</c>, sent as HTTP basic auth.</summary>
    public required string Auth { get; init; }

    /// <summary>
    /// The pinned platform CA: lower-case hex SHA-256 of its certificate. The gateway's certificate must chain to
    /// exactly that CA (and name the host); the system's trusted roots are never used.
    /// </summary>
    public required string CaFingerprint { get; init; }

    /// <summary>
    /// The platform CA certificate (<c>tls/ca.crt</c>), needed to check the gateway's certificate because TLS servers
    /// do not send their root. Only accepted when its fingerprint is <see cref="CaFingerprint"/>. The client does not
    /// dispose it.
    /// </summary>
    public X509Certificate2? CaCertificate { get; init; }

    /// <summary>The namespace of the API paths; <c>_</c> (the default) is the credential's own.</summary>
    public string Namespace { get; init; } = PlatformProfile.OwnNamespace;

    /// <summary>How long a request may take.</summary>
    public TimeSpan Timeout { get; init; } = DefaultTimeout;

    /// <summary>The clock certificate validity is checked against.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Every problem with these options, one sentence each; empty when they are valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (Endpoint is null || !Endpoint.IsAbsoluteUri || Endpoint.Scheme != Uri.UriSchemeHttps)
        {
            problems.Add($"Endpoint must be an absolute https:// address, not '{Endpoint}'.");
        }

        if (Auth is null || Auth.IndexOf(':', StringComparison.Ordinal) is <= 0 || Auth.EndsWith(':'))
        {
            problems.Add("Auth must be the namespace credential uuid:key.");
        }

        if (CaFingerprint is null || PlatformProfile.NormalizeFingerprint(CaFingerprint) is null)
        {
            problems.Add("CaFingerprint must be 64 hexadecimal digits (SHA-256 of the platform CA certificate).");
        }

        if (string.IsNullOrEmpty(Namespace))
        {
            problems.Add("Namespace is empty; use '_' for the credential's own namespace.");
        }

        if (Timeout <= TimeSpan.Zero && Timeout != System.Threading.Timeout.InfiniteTimeSpan)
        {
            problems.Add($"Timeout {Timeout} must be positive.");
        }

        if (TimeProvider is null)
        {
            problems.Add("TimeProvider is null; use TimeProvider.System.");
        }

        return problems;
    }
}
