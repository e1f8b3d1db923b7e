using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Carapace.Client.Gateway;

/// <summary>
/// The TLS server-certificate check of a <see cref="GatewayClient"/>: the host name must match (as the platform checks
/// it), and the certificate must chain, under a trust store holding only the candidate CA, to a CA whose SHA-256
/// fingerprint is the pinned one, with the serverAuth usage. The candidate CAs are the known CA certificate and any
/// certificate the server sent. The system's roots are never consulted. Fails closed; the reason of the last failure
/// is kept for the <see cref="GatewayException"/>.
/// </summary>
internal sealed class CaPinValidator(Uri endpoint, string fingerprint, X509Certificate2? knownCa, TimeProvider time)
{
    private static readonly Oid s_serverAuth = new("1.3.6.1.5.5.7.3.1");
    private volatile string? _failure;

    /// <summary>The reason the last check failed, if it did; cleared by reading.</summary>
    public string? TakeFailure() => Interlocked.Exchange(ref _failure, null);

    public bool Validate(X509Certificate? presented, X509Chain? platformChain, SslPolicyErrors errors)
    {
        try
        {
            var problem = Check(presented, platformChain, errors);
            _failure = problem;
            return problem is null;
        }
        catch (CryptographicException e)
        {
            _failure = $"the gateway at {endpoint} presented a certificate that cannot be read ({e.Message})";
            return false;
        }
    }

    private string? Check(X509Certificate? presented, X509Chain? platformChain, SslPolicyErrors errors)
    {
        if (presented is null || errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable))
        {
            return $"the gateway at {endpoint} presented no TLS certificate";
        }

        using var leaf = X509CertificateLoader.LoadCertificate(presented.GetRawCertData());
        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch))
        {
            var names = leaf.Extensions.OfType<X509SubjectAlternativeNameExtension>().FirstOrDefault() is { } san
                ? string.Join(", ", san.EnumerateDnsNames().Concat(san.EnumerateIPAddresses().Select(a => a.ToString())))
                : leaf.Subject;
            return $"the gateway at {endpoint} presented a certificate for {names}, not for host '{endpoint.IdnHost}'; "
                + "use one of those names in the gateway address";
        }

        var sent = platformChain?.ChainPolicy.ExtraStore.Cast<X509Certificate2>().Where(c => !c.RawData.AsSpan().SequenceEqual(leaf.RawData)) ?? [];
        var candidates = (knownCa is null ? sent : sent.Prepend(knownCa))
            .DistinctBy(c => Convert.ToHexString(c.RawData))
            .OrderByDescending(c => FingerprintOf(c) == fingerprint)
            .ToList();
        string? chainProblem = null;
        foreach (var candidate in candidates)
        {
            if (!ChainsTo(leaf, candidate, platformChain, out var status))
            {
                chainProblem ??= status;
                continue;
            }

            var seen = FingerprintOf(candidate);
            return seen == fingerprint ? null
                : $"the gateway at {endpoint} presented a certificate from the CA with fingerprint {seen}, but this client pins {fingerprint}; "
                + "if the platform was set up anew, take the caFingerprint from its platform.json";
        }

        if (candidates.Count == 0)
        {
            return $"the gateway at {endpoint} cannot be checked against the pinned CA {fingerprint}: it did not send its CA certificate "
                + "and this client has none; give the platform's tls/ca.crt (CARAPACE_CA_CERT, or the data dir's tls/ca.crt)";
        }

        var issuerKey = leaf.Extensions.OfType<X509AuthorityKeyIdentifierExtension>().FirstOrDefault()?.KeyIdentifier is { } id
            ? $", issuer key id {Convert.ToHexStringLower(id.Span)}"
            : "";
        return $"the gateway at {endpoint} presented a certificate (issuer '{leaf.Issuer}'{issuerKey}) that does not chain to the pinned CA "
            + $"{fingerprint} ({chainProblem}); the gateway runs with another CA than this client pins: if the platform was set up anew, "
            + "take the caFingerprint and tls/ca.crt from its data dir";
    }

    private bool ChainsTo(X509Certificate2 leaf, X509Certificate2 ca, X509Chain? platformChain, out string status)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        if (platformChain is not null)
        {
            chain.ChainPolicy.ExtraStore.AddRange(platformChain.ChainPolicy.ExtraStore);
        }

        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.DisableCertificateDownloads = true;
        chain.ChainPolicy.VerificationTime = time.GetUtcNow().UtcDateTime;
        chain.ChainPolicy.VerificationTimeIgnored = false;
        chain.ChainPolicy.ApplicationPolicy.Add(s_serverAuth);
        var built = chain.Build(leaf);
        var root = chain.ChainElements.Count > 0 ? chain.ChainElements[^1].Certificate : null;
        if (built && root is not null && root.RawData.AsSpan().SequenceEqual(ca.RawData))
        {
            status = "";
            return true;
        }

        var statuses = chain.ChainStatus.Select(s => s.StatusInformation.Trim()).Where(s => s.Length > 0).Distinct().ToList();
        status = statuses.Count > 0 ? string.Join("; ", statuses) : "no chain";
        return false;
    }

    private static string FingerprintOf(X509Certificate2 certificate) => Convert.ToHexStringLower(SHA256.HashData(certificate.RawData));
}
