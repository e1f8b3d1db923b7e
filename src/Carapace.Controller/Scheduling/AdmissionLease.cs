namespace Carapace.Controller.Scheduling;

/// <summary>A slot to run one invocation; disposing it (once or more) gives the slot to the next waiter.</summary>
public sealed class AdmissionLease : IDisposable
{
    private readonly AdmissionQueue _owner;
    private int _released;

    internal AdmissionLease(AdmissionQueue owner, string @namespace)
    {
        _owner = owner;
        Namespace = @namespace;
    }

    /// <summary>The namespace the slot belongs to.</summary>
    public string Namespace { get; }

    /// <summary>Releases the slot; later calls do nothing.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _released, 1) == 0)
        {
            _owner.Release(Namespace);
        }
    }
}
