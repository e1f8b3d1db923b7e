using System.Security.Cryptography;
using Carapace.Functions.Images;

namespace Carapace.Enclave.FileSystem.Image;

/// <summary>
/// A small least-recently-used cache of decrypted (verified) blocks, keyed by physical position, for reads that
/// take part of a block. Buffers are zeroed when evicted and on <see cref="Dispose"/>. Thread-safe.
/// </summary>
internal sealed class BlockCache(int capacity) : IDisposable
{
    private readonly Dictionary<long, LinkedListNode<Entry>> _map = new(capacity);
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

    /// <summary>Zeroes and drops every cached block.</summary>
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
