using System.Security.Cryptography;

namespace Carapace.Enclave.Wasi;

/// <summary>
/// A guest output stream (stdout or stderr) collected in memory up to a limit. The array lives on the pinned object
/// heap (never moved by the garbage collector, so no stale copy is left behind); a replaced array is zeroed at once and
/// the current one on <see cref="Dispose"/>.
/// </summary>
internal sealed class OutputBuffer(int limit) : IDisposable
{
    private const int InitialCapacity = 4096;

    private byte[] _array = [];
    private int _length;

    public int Length => _length;

    /// <summary>Bytes that can still be accepted.</summary>
    public int Room => limit - _length;

    /// <summary>Whether some bytes were refused because of the limit.</summary>
    public bool Truncated { get; private set; }

    public ReadOnlySpan<byte> Written => _array.AsSpan(0, _length);

    /// <summary>The current array (tests inspect it).</summary>
    internal byte[] Array => _array;

    /// <summary>Called with each replaced array after it was zeroed (tests check that it really is zero).</summary>
    internal Action<byte[]>? Retired { get; set; }

    /// <summary>Appends as much of <paramref name="data"/> as the limit allows; returns the count accepted.</summary>
    public int Append(ReadOnlySpan<byte> data)
    {
        var n = Math.Min(limit - _length, data.Length);
        if (n < data.Length)
        {
            Truncated = true;
        }

        if (n <= 0)
        {
            return 0;
        }

        var needed = _length + n;
        if (needed > _array.Length)
        {
            Grow(needed);
        }

        data[..n].CopyTo(_array.AsSpan(_length));
        _length = needed;
        return n;
    }

    public void Dispose()
    {
        CryptographicOperations.ZeroMemory(_array);
        _array = [];
        _length = 0;
    }

    private void Grow(int needed)
    {
        var capacity = (int)Math.Min(limit, Math.Max(needed, Math.Max((long)_array.Length * 2, InitialCapacity)));
        var grown = GC.AllocateArray<byte>(capacity, pinned: true);
        _array.AsSpan(0, _length).CopyTo(grown);
        var old = _array;
        _array = grown;
        if (old.Length != 0)
        {
            CryptographicOperations.ZeroMemory(old);
            Retired?.Invoke(old);
        }
    }
}
