using System.Security.Cryptography;
using System.Text;

namespace Carapace.Envelope.Keys;

/// <summary>
/// The key of one edge of a chain (<see cref="FromStep"/> → <see cref="ToStep"/>): whoever holds it can seal for and
/// open envelopes travelling that edge, and nothing else. Every envelope gets its own message key derived from this one.
/// Dispose it to zero its bytes.
/// </summary>
public sealed class EdgeKey : IDisposable
{
    /// <summary>Key length in bytes.</summary>
    public const int Size = 32;

    /// <summary>Longest chain id, in UTF-8 bytes.</summary>
    public const int MaxChainIdBytes = 256;

    private readonly byte[] _key;
    private bool _disposed;

    private EdgeKey(byte[] key, string chainId, int fromStep, int toStep)
    {
        _key = key;
        ChainId = chainId;
        FromStep = fromStep;
        ToStep = toStep;
        Id = KeyId.Of(key);
    }

    /// <summary>The chain this edge belongs to.</summary>
    public string ChainId { get; }

    /// <summary>The sending step (0 = the client).</summary>
    public int FromStep { get; }

    /// <summary>The receiving step.</summary>
    public int ToStep { get; }

    /// <summary>The public fingerprint of this key; envelopes carry it in their metadata.</summary>
    public KeyId Id { get; }

    /// <summary>
    /// Wraps a copy of edge key bytes received from a key manager, with the edge they belong to. The caller keeps
    /// (and should zero) its own copy.
    /// </summary>
    public static EdgeKey FromBytes(ReadOnlySpan<byte> key, string chainId, int fromStep, int toStep)
    {
        if (key.Length != Size)
        {
            throw new ArgumentException($"an edge key is {Size} bytes, not {key.Length}", nameof(key));
        }

        Validate(chainId, fromStep, toStep);
        return new EdgeKey(key.ToArray(), chainId, fromStep, toStep);
    }

    /// <summary>Copies the key bytes out (to hand them to an attested enclave). Zero the copy after use.</summary>
    public void CopyTo(Span<byte> destination)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _key.CopyTo(destination);
    }

    /// <summary>Zeroes the key bytes.</summary>
    public void Dispose()
    {
        if (!_disposed)
        {
            CryptographicOperations.ZeroMemory(_key);
            _disposed = true;
        }
    }

    /// <summary>The key bytes, for the envelope code in this assembly only.</summary>
    internal ReadOnlySpan<byte> Bytes
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _key;
        }
    }

    internal static EdgeKey Adopt(byte[] key, string chainId, int fromStep, int toStep) => new(key, chainId, fromStep, toStep);

    internal static void Validate(string chainId, int fromStep, int toStep)
    {
        ArgumentNullException.ThrowIfNull(chainId);
        if (Encoding.UTF8.GetByteCount(chainId) > MaxChainIdBytes)
        {
            throw new ArgumentException($"a chain id is at most {MaxChainIdBytes} UTF-8 bytes", nameof(chainId));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(fromStep);
        ArgumentOutOfRangeException.ThrowIfNegative(toStep);
    }
}
