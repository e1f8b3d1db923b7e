using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Carapace.Kms.Client.Policy;

namespace Carapace.Kms.Client.Api;

/// <summary>
/// How a namespace owner signs a KMS request (secret upload, audit read) — and, the same way, how a client of the
/// namespace signs its request for a chain's client keys. Three headers go with the request: <c>Carapace-Owner</c> (the
/// owner's id in the namespace's policy) or, for a client, <c>Carapace-Client</c> (the client's id in the policy's
/// <c>clients</c>), <c>Carapace-Time</c> (Unix seconds) and <c>Carapace-Signature</c>: base64 of the signer key's
/// ECDSA P-256 / SHA-256 signature (IEEE P1363, r ‖ s) over
/// <code>
/// carapace-kms-request-v1\n{METHOD}\n{target}\n{unix-seconds}\n{hex SHA-256(body)}
/// </code>
/// where <c>target</c> is the request's path and query exactly as sent (names percent-escaped) and the hash is lower-case
/// hex of the body bytes (of the empty string for a request without a body). The KMS accepts the signature within
/// <see cref="MaxClockSkew"/> of its own clock.
/// </summary>
public static class OwnerRequestSignature
{
    /// <summary>The header naming the signing owner.</summary>
    public const string OwnerHeader = "Carapace-Owner";

    /// <summary>The header naming the signing client (client-key requests).</summary>
    public const string ClientHeader = "Carapace-Client";

    /// <summary>The header carrying the signature.</summary>
    public const string SignatureHeader = "Carapace-Signature";

    /// <summary>The header carrying the signing time.</summary>
    public const string TimeHeader = "Carapace-Time";

    /// <summary>How far the signing time may be from the KMS's clock, either way.</summary>
    public static readonly TimeSpan MaxClockSkew = TimeSpan.FromSeconds(300);

    private const string Label = "carapace-kms-request-v1";

    /// <summary>The exact bytes an owner or client signs for a request.</summary>
    public static byte[] CanonicalBytes(string method, string target, long unixSeconds, ReadOnlySpan<byte> body)
    {
        ArgumentException.ThrowIfNullOrEmpty(method);
        ArgumentException.ThrowIfNullOrEmpty(target);
        var text = string.Create(CultureInfo.InvariantCulture,
            $"{Label}\n{method.ToUpperInvariant()}\n{target}\n{unixSeconds}\n{Convert.ToHexStringLower(SHA256.HashData(body))}");
        return Encoding.UTF8.GetBytes(text);
    }

    /// <summary>The <c>Carapace-Signature</c> value for a request signed by <paramref name="key"/> (an owner's or a client's).</summary>
    public static string Sign(OwnerKey key, string method, string target, long unixSeconds, ReadOnlySpan<byte> body)
    {
        ArgumentNullException.ThrowIfNull(key);
        return Convert.ToBase64String(key.Sign(CanonicalBytes(method, target, unixSeconds, body)));
    }
}
