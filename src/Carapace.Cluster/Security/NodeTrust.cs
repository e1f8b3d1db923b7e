using System.Security.Cryptography.X509Certificates;

namespace Carapace.Cluster.Security;

/// <summary>
/// Whether a peer's TLS certificate makes it a node of this cluster: it must chain to the cluster CA alone (not to a
/// system root), be valid now, and be meant for TLS. Host names are not checked: nodes are named by the CA, not by
/// DNS, and every node accepts every other node the CA issued.
/// </summary>
public sealed class NodeTrust : IDisposable
{
    private readonly X509Certificate2 _authority;

    /// <summary>Trusts the nodes <paramref name="authority"/> (the cluster CA certificate) issued.</summary>
    public NodeTrust(X509Certificate2 authority)
    {
        ArgumentNullException.ThrowIfNull(authority);
        _authority = authority;
        Fingerprint = ClusterAuthority.Fingerprint(authority);
    }

    /// <summary>The CA's fingerprint (lower-case hex SHA-256).</summary>
    public string Fingerprint { get; }

    /// <summary>True when <paramref name="peer"/> was issued by the cluster CA and is valid now.</summary>
    public bool Accepts(X509Certificate2? peer)
    {
        if (peer is null)
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(_authority);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationFlags = X509VerificationFlags.NoFlag;
        if (!chain.Build(peer))
        {
            return false;
        }

        // The chain must end at this CA, and the peer must not be the CA itself.
        var root = chain.ChainElements[^1].Certificate;
        return chain.ChainElements.Count >= 2 && root.RawDataMemory.Span.SequenceEqual(_authority.RawDataMemory.Span);
    }

    /// <summary>Releases the CA certificate.</summary>
    public void Dispose() => _authority.Dispose();
}
