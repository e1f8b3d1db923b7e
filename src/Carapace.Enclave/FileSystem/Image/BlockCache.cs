using System.Security.Cryptography;
using Carapace.Functions.Images;

namespace Carapace.Enclave.FileSystem.Image;

/// <summary>
/// A bounded least-recently-used cache of decrypted blocks, keyed by physical position. Only plaintext that has been
/// verified (tag equal to the leaf-table entry, and AES-GCM authenticated) may be added. Memory is taken one block at
/// a time as blocks are added, up to <paramref name="capacity"/> blocks; buffers are zeroed when evicted and on
/// <see cref="Dispose"/>. Thread-safe.
/// </summary>
internal sealed class BlockCache(int capacity) : IDisposable
{
    private readonly Dictionary<long, LinkedListNode<Entry>> _map = new(Math.Clamp(capacity, 0, 64));
    private readonly LinkedList<Entry> _order = new();
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
            node.Value.Data.AsSpan(offset, destination.Length).CopyTo(destination);
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
                CryptographicOperations.ZeroMemory(node.Value.Data);
                node.Value = node.Value with { Slot = slot };
            }
            else
            {
                node = new LinkedListNode<Entry>(new Entry(slot, new byte[ImageLayout.BlockSize]));
            }

            plaintext[..ImageLayout.BlockSize].CopyTo(node.Value.Data);
            _order.AddFirst(node);
            _map.Add(slot, node);
        }
    }

    /// <summary>Zeroes and drops every cached block; the cache stays usable.</summary>
    public void Clear()
    {
        lock (_map)
        {
            foreach (var entry in _order)
            {
                CryptographicOperations.ZeroMemory(entry.Data);
            }

            _order.Clear();
            _map.Clear();
        }
    }

    /// <summary>Zeroes and drops every cached block; nothing is cached afterwards.</summary>
    public void Dispose()
    {
        lock (_map)
        {
            _disposed = true;
            foreach (var entry in _order)
            {
                CryptographicOperations.ZeroMemory(entry.Data);
            }

            _order.Clear();
            _map.Clear();
        }
    }

    private readonly record struct Entry(long Slot, byte[] Data);
}
