namespace Carapace.Controller.Scheduling;

/// <summary>
/// Thrown by <see cref="AdmissionQueue.EnterAsync(string, long, CancellationToken)"/> when a namespace has no free
/// slot and the wait queue is full (by count or by the bytes its inputs hold); the gateway answers 429 Too Many
/// Requests with <see cref="Exception.Message"/>.
/// </summary>
public sealed class QueueFullException : Exception
{
    /// <summary>Creates the exception for <paramref name="namespace"/> when the queue holds as many invocations as it may.</summary>
    public QueueFullException(string @namespace, int running, int queued)
        : this(@namespace, running, queued,
            $"Too many requests: namespace '{@namespace}' is running {running} invocations and {queued} are waiting, " +
            "the most the platform queues; retry later.")
    {
    }

    private QueueFullException(string @namespace, int running, int queued, string message)
        : base(message)
    {
        Namespace = @namespace;
        Running = running;
        Queued = queued;
    }

    /// <summary>The namespace that was refused.</summary>
    public string Namespace { get; }

    /// <summary>How many of its invocations were running.</summary>
    public int Running { get; }

    /// <summary>How many invocations were waiting, across namespaces.</summary>
    public int Queued { get; }

    /// <summary>The exception for an input that would take the bytes held by waiting invocations past <paramref name="maxBytes"/>.</summary>
    internal static QueueFullException OverBytes(string @namespace, int running, int queued, long queuedBytes, long bytes, long maxBytes) =>
        new(@namespace, running, queued,
            $"Too many requests: namespace '{@namespace}' is running {running} invocations and the {queued} waiting hold {queuedBytes} bytes of input; "
            + $"this one's {bytes} bytes would pass the {maxBytes} bytes the platform queues. Retry later.");
}
