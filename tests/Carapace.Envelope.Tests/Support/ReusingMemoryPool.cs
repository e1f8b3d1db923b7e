using System.Buffers;
using System.Collections.Concurrent;

namespace Carapace.Envelope.Tests.Support;

/// <summary>
/// A memory pool that hands back the same few arrays whichever thread rents or returns them, so a
/// <see cref="System.IO.Pipelines.PipeReader"/> built on it allocates a constant amount however the machine schedules
/// its continuations. (The shared array pool keeps per-thread caches; under load a buffer rented on one thread and
/// returned on another falls out of them, which would make an allocation budget measure the scheduler instead of
/// the envelope code.)
/// </summary>
internal sealed class ReusingMemoryPool : MemoryPool<byte>
{
    private readonly ConcurrentBag<byte[]> _free = [];

    public override int MaxBufferSize => int.MaxValue;

    public override IMemoryOwner<byte> Rent(int minBufferSize = -1)
    {
        var size = Math.Max(minBufferSize, 4096);
        while (_free.TryTake(out var array))
        {
            if (array.Length >= size)
            {
                return new Lease(this, array);
            }
        }

        return new Lease(this, new byte[size]);
    }

    protected override void Dispose(bool disposing) => _free.Clear();

    private sealed class Lease(ReusingMemoryPool pool, byte[] array) : IMemoryOwner<byte>
    {
        private byte[]? _array = array;

        public Memory<byte> Memory => _array ?? throw new ObjectDisposedException(nameof(Lease));

        public void Dispose()
        {
            var array = Interlocked.Exchange(ref _array, null);
            if (array is not null)
            {
                pool._free.Add(array);
            }
        }
    }
}
