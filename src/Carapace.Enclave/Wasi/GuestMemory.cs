using System.Buffers.Binary;
using Wasmtime;

namespace Carapace.Enclave.Wasi;

/// <summary>
/// A bounds-checked view of the guest's linear memory for the duration of one host call (the memory cannot grow or
/// move while the host runs). Every accessor returns false when the range is not wholly inside the memory; the
/// callers turn that into <see cref="Errno.Fault"/>. The default value (no memory exported) faults on everything.
/// </summary>
/// <remarks>
/// Fast path: one span over the memory as long as it was when last measured (linear memories never shrink), so a host
/// call costs one <c>Memory.GetSpan</c>. Only a range beyond that (the memory grew since, or a bad pointer) measures
/// the memory again, and records the new length for the next call.
/// </remarks>
internal readonly ref struct GuestMemory
{
    // At most 2 GiB - 1 bytes (a span cannot be longer); ranges above go through Memory.GetSpan.
    private readonly Span<byte> _known;
    private readonly Memory? _memory;
    private readonly MemoryLength? _length;

    public GuestMemory(Memory memory, MemoryLength length)
    {
        _memory = memory;
        _length = length;
        _known = memory.GetSpan(0, (int)Math.Min(length.Bytes, int.MaxValue));
    }

    /// <summary>Whether [address, address + length) lies inside the memory.</summary>
    public bool Contains(uint address, ulong length) =>
        (length <= (ulong)_known.Length && address <= (ulong)_known.Length - length) || ContainsSlow(address, length);

    public bool TrySpan(uint address, ulong length, out Span<byte> span)
    {
        if (length <= (ulong)_known.Length && address <= (ulong)_known.Length - length)
        {
            span = _known.Slice((int)address, (int)length);
            return true;
        }

        if (length > int.MaxValue || !ContainsSlow(address, length))
        {
            span = default;
            return false;
        }

        span = _memory!.GetSpan(address, (int)length);
        return true;
    }

    public bool TryWriteUInt32(uint address, uint value)
    {
        if (TrySpan(address, 4, out var span))
        {
            BinaryPrimitives.WriteUInt32LittleEndian(span, value);
            return true;
        }

        return false;
    }

    public bool TryWriteUInt64(uint address, ulong value)
    {
        if (TrySpan(address, 8, out var span))
        {
            BinaryPrimitives.WriteUInt64LittleEndian(span, value);
            return true;
        }

        return false;
    }

    private bool ContainsSlow(uint address, ulong length)
    {
        if (_memory is null)
        {
            return false;
        }

        var bytes = (ulong)_memory.GetLength();
        _length!.Bytes = (long)bytes;
        return length <= bytes && address <= bytes - length;
    }
}
