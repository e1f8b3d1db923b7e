namespace Carapace.Controller.Scheduling;

/// <summary>
/// The admission gate in front of the workers: at most <see cref="AdmissionOptions.PerNamespaceConcurrency"/>
/// invocations per namespace run at once; others wait first-in first-out, at most
/// <see cref="AdmissionOptions.MaxQueueLength"/> across namespaces, holding at most
/// <see cref="AdmissionOptions.MaxQueuedBytes"/> of input together; beyond that a request is refused at once with
/// <see cref="QueueFullException"/>. Waiting is a task, never a spin; a cancelled waiter leaves the queue.
/// </summary>
public sealed class AdmissionQueue
{
    private readonly object _gate = new();
    private readonly Dictionary<string, NamespaceState> _namespaces = new(StringComparer.Ordinal);
    private readonly int _perNamespace;
    private readonly int _maxQueue;
    private readonly long _maxQueuedBytes;
    private int _queued;
    private long _queuedBytes;

    /// <summary>Creates a gate with the given bounds.</summary>
    /// <exception cref="ArgumentException">An option is out of range; the message lists every problem.</exception>
    public AdmissionQueue(AdmissionOptions? options = null)
    {
        options ??= new AdmissionOptions();
        var errors = options.Validate();
        if (errors.Count > 0)
        {
            throw new ArgumentException("Invalid admission options: " + string.Join(" ", errors), nameof(options));
        }

        _perNamespace = options.PerNamespaceConcurrency;
        _maxQueue = options.MaxQueueLength;
        _maxQueuedBytes = options.MaxQueuedBytes;
    }

    /// <summary>Invocations of one namespace that may run at once (<see cref="AdmissionOptions.PerNamespaceConcurrency"/>).</summary>
    public int PerNamespaceConcurrency => _perNamespace;

    /// <summary>How many invocations wait across namespaces.</summary>
    public int QueuedCount
    {
        get
        {
            lock (_gate)
            {
                return _queued;
            }
        }
    }

    /// <summary>How many invocations of <paramref name="namespace"/> hold a slot.</summary>
    public int RunningCount(string @namespace)
    {
        lock (_gate)
        {
            return _namespaces.TryGetValue(@namespace, out var state) ? state.Running : 0;
        }
    }

    /// <summary>The bytes of input the waiting invocations hold, across namespaces.</summary>
    public long QueuedBytes
    {
        get
        {
            lock (_gate)
            {
                return _queuedBytes;
            }
        }
    }

    /// <summary>
    /// Waits for a slot of <paramref name="namespace"/>; completes at once when one is free.
    /// </summary>
    /// <exception cref="QueueFullException">No slot is free and the queue is full.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled while waiting.</exception>
    public ValueTask<AdmissionLease> EnterAsync(string @namespace, CancellationToken cancellationToken = default) =>
        EnterAsync(@namespace, 0, cancellationToken);

    /// <summary>
    /// Waits for a slot of <paramref name="namespace"/> for an invocation whose input holds <paramref name="bytes"/>
    /// bytes; completes at once when a slot is free. A full queue refuses at once (synchronously), so a caller knows
    /// before it records anything whether the invocation has a place.
    /// </summary>
    /// <exception cref="QueueFullException">No slot is free and the queue is full, or would hold more than its bytes.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled while waiting.</exception>
    public ValueTask<AdmissionLease> EnterAsync(string @namespace, long bytes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(@namespace);
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        cancellationToken.ThrowIfCancellationRequested();
        LinkedListNode<Waiter> node;
        lock (_gate)
        {
            if (!_namespaces.TryGetValue(@namespace, out var state))
            {
                state = new NamespaceState();
                _namespaces[@namespace] = state;
            }

            if (state.Running < _perNamespace)
            {
                state.Running++;
                return ValueTask.FromResult(new AdmissionLease(this, @namespace));
            }

            if (_queued >= _maxQueue)
            {
                throw new QueueFullException(@namespace, state.Running, _queued);
            }

            if (bytes > _maxQueuedBytes - _queuedBytes)
            {
                throw QueueFullException.OverBytes(@namespace, state.Running, _queued, _queuedBytes, bytes, _maxQueuedBytes);
            }

            node = state.Waiters.AddLast(new Waiter(new TaskCompletionSource<AdmissionLease>(TaskCreationOptions.RunContinuationsAsynchronously), bytes));
            _queued++;
            _queuedBytes += bytes;
        }

        return WaitAsync(@namespace, node, cancellationToken);
    }

    internal void Release(string @namespace)
    {
        lock (_gate)
        {
            var state = _namespaces[@namespace];
            if (state.Waiters.First is { } next)
            {
                // The slot passes straight to the oldest waiter: Running stays the same.
                state.Waiters.RemoveFirst();
                _queued--;
                _queuedBytes -= next.Value.Bytes;
                next.Value.Admitted.SetResult(new AdmissionLease(this, @namespace));
                return;
            }

            state.Running--;
            if (state.Running == 0)
            {
                _namespaces.Remove(@namespace);
            }
        }
    }

    private async ValueTask<AdmissionLease> WaitAsync(string @namespace, LinkedListNode<Waiter> node,
        CancellationToken cancellationToken)
    {
        await using var registration = cancellationToken.Register(() =>
        {
            lock (_gate)
            {
                // Only a waiter still queued is cancelled; one already handed a slot keeps it.
                if (node.List is null)
                {
                    return;
                }

                node.List.Remove(node);
                _queued--;
                _queuedBytes -= node.Value.Bytes;
            }

            node.Value.Admitted.TrySetCanceled(cancellationToken);
        }).ConfigureAwait(false);
        return await node.Value.Admitted.Task.ConfigureAwait(false);
    }

    private sealed class NamespaceState
    {
        public int Running { get; set; }

        public LinkedList<Waiter> Waiters { get; } = new();
    }

    private sealed record Waiter(TaskCompletionSource<AdmissionLease> Admitted, long Bytes);
}
