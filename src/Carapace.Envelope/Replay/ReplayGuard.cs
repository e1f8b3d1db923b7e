using Carapace.Envelope.Format;
using Carapace.Envelope.Keys;

namespace Carapace.Envelope.Replay;

/// <summary>
/// Remembers the request ids a receiver has accepted, per edge (edge key id), in a bounded window: the newest
/// <see cref="WindowPerEdge"/> ids of each of the <see cref="MaxEdges"/> most recently used edges. An id that has
/// left the window can be accepted again, so a receiver that must run a request at most once forever keeps durable
/// records as well (the controller's activation records do). Thread-safe.
/// </summary>
public sealed class ReplayGuard
{
    private readonly Dictionary<KeyId, LinkedListNode<EdgeWindow>> _edges = [];
    private readonly LinkedList<EdgeWindow> _recency = new();
    private readonly Lock _lock = new();

    /// <summary>Creates a guard.</summary>
    /// <param name="windowPerEdge">How many recent request ids to remember per edge.</param>
    /// <param name="maxEdges">How many edges to remember; the least recently used is forgotten first.</param>
    /// <remarks>
    /// Memory grows to about 100 bytes per remembered id: the defaults (16,384 ids × 64 edges) bound it near
    /// 100 MB in the worst case. An enclave usually receives on one or two edges.
    /// </remarks>
    public ReplayGuard(int windowPerEdge = 16_384, int maxEdges = 64)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(windowPerEdge, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxEdges, 1);
        WindowPerEdge = windowPerEdge;
        MaxEdges = maxEdges;
    }

    /// <summary>Request ids remembered per edge.</summary>
    public int WindowPerEdge { get; }

    /// <summary>Edges remembered.</summary>
    public int MaxEdges { get; }

    /// <summary>Records <paramref name="requestId"/> for <paramref name="edge"/>; false if it was already there (a replay).</summary>
    public bool TryAccept(KeyId edge, RequestId requestId) => TryAccept(edge, requestId, out _);

    /// <summary>
    /// <see cref="TryAccept(KeyId, RequestId)"/>, handing out the record made, so that an open that fails after its
    /// request id was recorded can <see cref="Forget"/> exactly that record.
    /// </summary>
    internal bool TryAccept(KeyId edge, RequestId requestId, out LinkedListNode<RequestId>? record)
    {
        record = null;
        lock (_lock)
        {
            if (_edges.TryGetValue(edge, out var node))
            {
                _recency.Remove(node);
                _recency.AddFirst(node);
            }
            else
            {
                node = _recency.AddFirst(new EdgeWindow(edge));
                _edges.Add(edge, node);
                if (_edges.Count > MaxEdges)
                {
                    var oldest = _recency.Last!;
                    _recency.RemoveLast();
                    _edges.Remove(oldest.Value.Edge);
                }
            }

            var window = node.Value;
            if (window.Seen.ContainsKey(requestId))
            {
                return false;
            }

            record = window.Order.AddLast(requestId);
            window.Seen.Add(requestId, record);
            if (window.Order.Count > WindowPerEdge)
            {
                window.Seen.Remove(window.Order.First!.Value);
                window.Order.RemoveFirst();
            }

            return true;
        }
    }

    /// <summary>
    /// Removes a record made by <see cref="TryAccept(KeyId, RequestId, out LinkedListNode{RequestId}?)"/>, unless it
    /// has already left the window (and so may have been recorded anew by someone else).
    /// </summary>
    internal void Forget(KeyId edge, LinkedListNode<RequestId> record)
    {
        lock (_lock)
        {
            if (_edges.TryGetValue(edge, out var node)
                && node.Value.Seen.TryGetValue(record.Value, out var current)
                && ReferenceEquals(current, record))
            {
                node.Value.Seen.Remove(record.Value);
                node.Value.Order.Remove(record);
            }
        }
    }

    /// <summary>Whether <paramref name="requestId"/> is currently remembered for <paramref name="edge"/>.</summary>
    public bool Contains(KeyId edge, RequestId requestId)
    {
        lock (_lock)
        {
            return _edges.TryGetValue(edge, out var node) && node.Value.Seen.ContainsKey(requestId);
        }
    }

    private sealed class EdgeWindow(KeyId edge)
    {
        public KeyId Edge { get; } = edge;

        public Dictionary<RequestId, LinkedListNode<RequestId>> Seen { get; } = [];

        public LinkedList<RequestId> Order { get; } = new();
    }
}
