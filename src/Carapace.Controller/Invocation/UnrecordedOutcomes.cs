using Carapace.Controller.Activations;
using Carapace.Controller.Storage;
using Carapace.Envelope.Format;

namespace Carapace.Controller.Invocation;

/// <summary>
/// Failure outcomes the activation store could not take because the disk was full, kept in memory until a write
/// succeeds again: <see cref="Flush"/> records them (before each new invocation, which needs the disk anyway). What a
/// process stop loses here is not lost from the record: the next start ends every activation still pending.
/// Bounded: beyond <see cref="Capacity"/> the oldest is dropped from memory (its activation is still ended at the
/// next start).
/// </summary>
internal sealed class UnrecordedOutcomes(ActivationStore activations)
{
    /// <summary>How many outcomes are kept at most.</summary>
    public const int Capacity = 10_000;

    private readonly Lock _lock = new();
    private readonly Queue<Entry> _entries = new();

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _entries.Count;
            }
        }
    }

    public void Add(ActivationId activation, ActivationOutcome outcome, RequestId requestId, string chain, int steps)
    {
        lock (_lock)
        {
            if (_entries.Count >= Capacity)
            {
                _entries.Dequeue();
            }

            _entries.Enqueue(new Entry(activation, outcome, requestId, chain, steps));
        }
    }

    /// <summary>Records what it holds, oldest first; stops at the first write the disk still refuses.</summary>
    public void Flush()
    {
        while (true)
        {
            Entry entry;
            lock (_lock)
            {
                if (!_entries.TryPeek(out var next))
                {
                    return;
                }

                entry = next;
            }

            try
            {
                activations.Complete(entry.Activation, entry.Outcome);
                for (var step = 1; step <= entry.Steps; step++)
                {
                    activations.RecordStepFailure(entry.RequestId, entry.Chain, step, entry.Outcome.Error ?? entry.Outcome.Status.ToWire());
                }
            }
            catch (Exception e) when (StorageFull.IsCause(e))
            {
                return;
            }

            lock (_lock)
            {
                if (_entries.TryPeek(out var first) && ReferenceEquals(first, entry))
                {
                    _entries.Dequeue();
                }
            }
        }
    }

    private sealed record Entry(ActivationId Activation, ActivationOutcome Outcome, RequestId RequestId, string Chain, int Steps);
}
