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

    public PinnedBuffer(int initialCapacity = 4096) => _array = GC.AllocateUninitializedArray<byte>(Math.Max(16, initialCapacity), pinned: true);

    public ReadOnlyMemory<byte> WrittenMemory => _array.AsMemory(0, _length);

    public ReadOnlySpan<byte> WrittenSpan => _array.AsSpan(0, _length);

    public void Advance(int count) => _length += count;

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _array.AsMemory(_length);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _array.AsSpan(_length);
    }

    /// <summary>Zeroes the content and empties the buffer (the array is kept).</summary>
    public void Clear()
    {
        CryptographicOperations.ZeroMemory(_array);
        _length = 0;
    }

    public void Dispose() => Clear();

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
