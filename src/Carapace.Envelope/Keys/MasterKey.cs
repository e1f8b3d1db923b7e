using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Carapace.Envelope.Keys;

/// <summary>
/// A namespace master key (256 bits), the root of the key hierarchy: master key → edge keys
/// (<see cref="Derive"/>) → per-message keys (derived inside every seal and open). Dispose it to zero its bytes.
/// </summary>
public sealed class MasterKey : IDisposable
{
    /// <summary>Key length in bytes.</summary>
    public const int Size = 32;

    private static readonly byte[] s_edgeLabel = Encoding.ASCII.GetBytes("carapace edge key v1");
    private readonly byte[] _key;
    private bool _disposed;

    private MasterKey(byte[] key)
    {
        _key = key;
        Id = KeyId.Of(key);
    }

    /// <summary>The public fingerprint of this key.</summary>
    public KeyId Id { get; }

    /// <summary>Creates a fresh random key from the operating system's CSPRNG.</summary>
    public static MasterKey Generate() => new(RandomNumberGenerator.GetBytes(Size));

    /// <summary>Wraps a copy of the given 32 key bytes; the caller keeps (and should zero) its own copy.</summary>
    /// <exception cref="ArgumentException">The input is not 32 bytes long.</exception>
    public static MasterKey FromBytes(ReadOnlySpan<byte> key)
    {
        if (key.Length != Size)
        {
            throw new ArgumentException($"a master key is {Size} bytes, not {key.Length}", nameof(key));
        }

        return new MasterKey(key.ToArray());
    }

    /// <summary>
    /// Derives the key of the edge <paramref name="fromStep"/> → <paramref name="toStep"/> of chain
    /// <paramref name="chainId"/>: HKDF-SHA256 with info = label ‖ len(chain) ‖ chain ‖ from ‖ to. Step 0 is the
    /// client; a chain's functions are steps 1..n; the client's input travels edge 0 → 1 and the output of the
    /// last function travels edge n → n+1.
    /// </summary>
    public EdgeKey Derive(string chainId, int fromStep, int toStep)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        EdgeKey.Validate(chainId, fromStep, toStep);
        var chain = Encoding.UTF8.GetBytes(chainId);
        var info = new byte[s_edgeLabel.Length + 2 + chain.Length + 8];
        var span = info.AsSpan();
        s_edgeLabel.CopyTo(span);
        span = span[s_edgeLabel.Length..];
        BinaryPrimitives.WriteUInt16BigEndian(span, (ushort)chain.Length);
        chain.CopyTo(span[2..]);
        span = span[(2 + chain.Length)..];
        BinaryPrimitives.WriteInt32BigEndian(span, fromStep);
        BinaryPrimitives.WriteInt32BigEndian(span[4..], toStep);

        var edge = new byte[EdgeKey.Size];
        HKDF.DeriveKey(HashAlgorithmName.SHA256, _key, edge, salt: ReadOnlySpan<byte>.Empty, info);
        return EdgeKey.Adopt(edge, chainId, fromStep, toStep);
    }

    /// <summary>Copies the key bytes out, for writing a key file or sealing the key for storage. Zero the copy after use.</summary>
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
}
