using System.Buffers;
using System.Security.Cryptography;

namespace Carapace.Enclave.Host;

/// <summary>
/// A growable buffer for plaintext in the enclave: its arrays live on the pinned object heap, so the garbage collector
/// never copies them (a moved array would leave an unzeroed copy behind), and every array is zeroed when it is
/// replaced, reset or disposed.
/// </summary>
internal sealed class PinnedBuffer : IBufferWriter<byte>, IDisposable
{
    private byte[] _array;
    private int _length;
    private int _dirty;

    public PinnedBuffer(int initialCapacity = 4096) => _array = GC.AllocateUninitializedArray<byte>(Math.Max(16, initialCapacity), pinned: true);

    public ReadOnlyMemory<byte> WrittenMemory => _array.AsMemory(0, _length);

    public ReadOnlySpan<byte> WrittenSpan => _array.AsSpan(0, _length);

    public void Advance(int count)
    {
        _length += count;
        _dirty = Math.Max(_dirty, _length);
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        var length = Lend(sizeHint); // may replace the array, so before reading the field
        return _array.AsMemory(_length, length);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        var length = Lend(sizeHint);
        return _array.AsSpan(_length, length);
    }

    /// <summary>
    /// Zeroes the content and empties the buffer (the array is kept). Writers may have touched the span past what
    /// they advanced over, so everything up to the largest span handed out is zeroed too.
    /// </summary>
    public void Clear()
    {
        CryptographicOperations.ZeroMemory(_array.AsSpan(0, _dirty));
        _length = 0;
        _dirty = 0;
    }

    public void Dispose() => Clear();

    /// <summary>
    /// Makes room for <paramref name="sizeHint"/> bytes and returns how many to hand out: the hint (at least 4 KiB,
    /// within the array), so the region a writer may have touched, and <see cref="Clear"/> must zero, stays small.
    /// </summary>
    private int Lend(int sizeHint)
    {
        Ensure(sizeHint);
        var length = (int)Math.Min(_array.Length - _length, Math.Max(Math.Max(1, sizeHint), 4096L));
        _dirty = Math.Max(_dirty, _length + length);
        return length;
    }

    private void Ensure(int sizeHint)
    {
        var needed = (long)_length + Math.Max(1, sizeHint);
        if (needed <= _array.Length)
        {
            return;
        }

        var grown = GC.AllocateUninitializedArray<byte>((int)Math.Min(Array.MaxLength, Math.Max(needed, (long)_array.Length * 2)), pinned: true);
        _array.AsSpan(0, _length).CopyTo(grown);
        CryptographicOperations.ZeroMemory(_array);
        _array = grown;
    }
}
