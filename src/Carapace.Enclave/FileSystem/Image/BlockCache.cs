using System.Security.Cryptography;
using Carapace.Functions.Images;

namespace Carapace.Enclave.FileSystem.Image;

/// <summary>
/// A bounded least-recently-used cache of decrypted blocks, keyed by physical position. Only plaintext that has been
/// verified (tag equal to the leaf-table entry, and AES-GCM authenticated) may be added. Memory is taken as blocks are
/// added, a slab of <see cref="SlabBlocks"/> blocks at a time on the pinned heap (so the garbage collector never moves,
/// and never leaves a copy of, a cached block), up to <paramref name="capacity"/> blocks; a block is zeroed when
/// evicted, and every slab on <see cref="Clear"/> and <see cref="Dispose"/>. Thread-safe.
/// </summary>
internal sealed class BlockCache(int capacity) : IDisposable
{
    /// <summary>Blocks per slab of memory (256 KiB).</summary>
    public const int SlabBlocks = 64;

    private readonly Dictionary<long, LinkedListNode<Entry>> _map = new(Math.Clamp(capacity, 0, SlabBlocks));
    private readonly LinkedList<Entry> _order = new();
    private readonly List<byte[]> _slabs = [];
    private int _handedOut;
    private bool _disposed;

    /// <summary>Copies bytes of block <paramref name="slot"/> from <paramref name="offset"/> if it is cached.</summary>
    public bool TryCopy(long slot, int offset, Span<byte> destination)
    {
        lock (_map)
        {
            if (_disposed || !_map.TryGetValue(slot, out var node))
            {
                return false;
            }

            _order.Remove(node);
            _order.AddFirst(node);
            Data(node.Value).Slice(offset, destination.Length).CopyTo(destination);
            return true;
        }
    }

    /// <summary>
    /// How many of the <paramref name="most"/> consecutive blocks from <paramref name="slot"/> are not cached, counted
    /// up to the first that is (at least 1: the caller found <paramref name="slot"/> missing).
    /// </summary>
    public int MissingRun(long slot, int most)
    {
        lock (_map)
        {
            var run = 1;
            while (run < most && !_map.ContainsKey(slot + run))
            {
                run++;
            }

            return run;
        }
    }

    /// <summary>Caches a copy of the verified plaintext of block <paramref name="slot"/>.</summary>
    public void Add(long slot, ReadOnlySpan<byte> plaintext)
    {
        lock (_map)
        {
            if (_disposed || capacity <= 0 || _map.ContainsKey(slot))
            {
                return;
            }

            LinkedListNode<Entry> node;
            if (_map.Count >= capacity)
            {
                node = _order.Last!;
                _order.RemoveLast();
                _map.Remove(node.Value.Slot);
                CryptographicOperations.ZeroMemory(Data(node.Value));
                node.Value = node.Value with { Slot = slot };
            }
            else
            {
                node = new LinkedListNode<Entry>(NewEntry(slot));
            }

            plaintext[..ImageLayout.BlockSize].CopyTo(Data(node.Value));
            _order.AddFirst(node);
            _map.Add(slot, node);
        }
    }

    /// <summary>Zeroes and drops every cached block and the memory that held them; the cache stays usable.</summary>
    public void Clear()
    {
        lock (_map)
        {
            ZeroAndDrop();
        }
    }

    /// <summary>Zeroes and drops every cached block; nothing is cached afterwards.</summary>
    public void Dispose()
    {
        lock (_map)
        {
            _disposed = true;
            ZeroAndDrop();
        }
    }

    private Span<byte> Data(in Entry entry) => _slabs[entry.Slab].AsSpan(entry.Offset, ImageLayout.BlockSize);

    /// <summary>The next unused block of memory, from the last slab or a new one (the caller holds the lock).</summary>
    private Entry NewEntry(long slot)
    {
        var index = _handedOut % SlabBlocks;
        if (index == 0)
        {
            var blocks = Math.Min(SlabBlocks, capacity - _handedOut);
            _slabs.Add(GC.AllocateArray<byte>(blocks * ImageLayout.BlockSize, pinned: true));
        }

        _handedOut++;
        return new Entry(slot, _slabs.Count - 1, index * ImageLayout.BlockSize);
    }

    private void ZeroAndDrop()
    {
        foreach (var slab in _slabs)
        {
            CryptographicOperations.ZeroMemory(slab);
        }

        _slabs.Clear();
        _handedOut = 0;
        _order.Clear();
        _map.Clear();
    }

    private readonly record struct Entry(long Slot, int Slab, int Offset);
}
