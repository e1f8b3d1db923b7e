namespace Carapace.Controller.Scheduling;

/// <summary>
/// Thrown by <see cref="AdmissionQueue.EnterAsync"/> when a namespace has no free slot and the wait queue is full;
/// the gateway answers 429 Too Many Requests with <see cref="Exception.Message"/>.
/// </summary>
public sealed class QueueFullException : Exception
{
    /// <summary>Creates the exception for <paramref name="namespace"/>.</summary>
    public QueueFullException(string @namespace, int running, int queued)
        : base($"Too many requests: namespace '{@namespace}' is running {running} invocations and {queued} are waiting, " +
               "the most the platform queues; retry later.")
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
}
