using System.Security.Cryptography;

namespace Carapace.Functions.Provisioning;

/// <summary>An edge key handed to an enclave: which edge it is, and its 32 bytes. Dispose to zero the bytes.</summary>
public sealed class EdgeGrant : IDisposable
{
    private readonly byte[] _key;

    /// <summary>Copies <paramref name="key"/> into a pinned buffer owned by the grant.</summary>
    public EdgeGrant(string chainId, int fromStep, int toStep, ReadOnlySpan<byte> key)
    {
        if (key.Length != 32)
        {
            throw new ArgumentException("an edge key is 32 bytes", nameof(key));
        }

        ChainId = chainId;
        FromStep = fromStep;
        ToStep = toStep;
        _key = GC.AllocateArray<byte>(32, pinned: true);
        key.CopyTo(_key);
    }

    /// <summary>Chain id.</summary>
    public string ChainId { get; }

    /// <summary>Sending step.</summary>
    public int FromStep { get; }

    /// <summary>Receiving step.</summary>
    public int ToStep { get; }

    /// <summary>The key bytes.</summary>
    public ReadOnlySpan<byte> Key => _key;

    /// <summary>A grant holding a copy of <paramref name="key"/>'s bytes and edge.</summary>
    public static EdgeGrant From(Envelope.Keys.EdgeKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        Span<byte> bytes = stackalloc byte[Envelope.Keys.EdgeKey.Size];
        key.CopyTo(bytes);
        try
        {
            return new EdgeGrant(key.ChainId, key.FromStep, key.ToStep, bytes);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bytes);
        }
    }

    /// <summary>Makes the envelope key for this edge (the caller disposes it).</summary>
    public Envelope.Keys.EdgeKey ToEdgeKey() => Envelope.Keys.EdgeKey.FromBytes(_key, ChainId, FromStep, ToStep);

    /// <summary>Zeroes the key.</summary>
    public void Dispose() => CryptographicOperations.ZeroMemory(_key);
}
