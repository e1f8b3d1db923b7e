using System.Text;
using Carapace.Controller.Activations;
using Carapace.Controller.Registry;
using Carapace.Controller.Tests.Contracts;
using Carapace.Envelope.Format;
using Carapace.Envelope.Keys;
using Carapace.Envelope.Sealing;
using Microsoft.Extensions.Time.Testing;

namespace Carapace.Controller.Tests.Activations;

/// <summary>Retention: finished activations past the age or the count go, with their sealed output, logs and links; nothing else does.</summary>
public abstract class ActivationRetentionContract : IDisposable
{
    private readonly StoreBackend _backend;
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));
    private readonly ActivationStore _store;
    private readonly EdgeKey _edge = EdgeKey.FromBytes(new byte[32], "chain-1", 1, 2);

    protected ActivationRetentionContract(StoreBackend backend)
    {
        _backend = backend;
        _store = backend.Activations(_time);
    }

    public void Dispose()
    {
        _store.Dispose();
        _edge.Dispose();
        _backend.Dispose();
    }

    private static ActivationStart Start(string name = "hello", ActivationId? cause = null) => new()
    {
        Action = ActionName.Of("guest", name),
        Version = "0.0.1",
        Subject = "guest",
        Kind = ActionKinds.Wasm,
        Limits = ActionLimits.Default,
        Cause = cause,
        CausedBy = cause is null ? null : "sequence",
    };

    /// <summary>A finished confidential single-step activation with sealed output, sealed logs, a receipt and a step claim.</summary>
    private ActivationId Finished()
    {
        var requestId = RequestId.New();
        var (record, claimed) = _store.StartStep(Start(), requestId, "hello", 1);
        Assert.True(claimed);
        _store.FinishStep(record.ActivationId, new ActivationOutcome
        {
            Status = ActivationStatus.Success,
            SealedOutput = EnvelopeSealer.Seal(_edge, Encoding.UTF8.GetBytes("out")),
            SealedLogs = EnvelopeSealer.Seal(_edge, Encoding.UTF8.GetBytes("log")),
            Receipts = [new byte[] { 1, 2, 3 }],
        }, requestId, "hello", 1);
        return record.ActivationId;
    }

    private long Rows(string table) => _backend.Rows(table);

    [Fact]
    public void Activations_older_than_the_age_go_with_their_sealed_output_logs_and_links_but_not_their_step_claims()
    {
        var old = Enumerable.Range(0, 3).Select(_ => Finished()).ToList();
        var sequence = _store.Start(Start("seq"));
        var component = _store.Start(Start("hello", cause: sequence.ActivationId));
        _store.Complete(component.ActivationId, new ActivationOutcome { Status = ActivationStatus.Success });
        _store.Complete(sequence.ActivationId, new ActivationOutcome { Status = ActivationStatus.Success, Components = [component.ActivationId] });
        var pending = _store.Start(Start("waiting"));
        Assert.Equal(2, Rows("activation_links"));

        _time.Advance(TimeSpan.FromHours(2));
        var recent = Finished();
        var pruned = _store.Prune(new ActivationRetention { MaxAge = TimeSpan.FromHours(1), MaxCount = null });

        Assert.Equal(5, pruned);
        Assert.All(old, id => Assert.Null(_store.Get(id)));
        Assert.All(old, id => Assert.Null(_store.GetOutput(id)));
        Assert.All(old, id => Assert.Null(_store.GetSealedLogs(id)));
        Assert.Null(_store.Get(sequence.ActivationId));
        Assert.NotNull(_store.Get(pending.ActivationId));
        Assert.NotNull(_store.Get(recent));
        Assert.NotNull(_store.GetOutput(recent));
        Assert.NotNull(_store.GetSealedLogs(recent));
        Assert.Equal(2, Rows("activations"));
        Assert.Equal(1, Rows("activation_outputs"));
        Assert.Equal(1, Rows("activation_logs"));
        Assert.Equal(0, Rows("activation_links"));
        // The claims stay: a replay of a pruned request id still runs nothing.
        Assert.Equal(4, Rows("steps"));
        Assert.Equal(0, _store.Prune(new ActivationRetention { MaxAge = TimeSpan.FromHours(1), MaxCount = null }));
    }

    [Fact]
    public void Only_the_newest_count_is_kept_in_batches_and_a_replayed_request_id_is_still_refused()
    {
        var requestId = RequestId.New();
        var (first, _) = _store.StartStep(Start(), requestId, "hello", 1);
        _store.FinishStep(first.ActivationId, new ActivationOutcome { Status = ActivationStatus.Success }, requestId, "hello", 1);
        var ids = Enumerable.Range(0, ActivationStore.PruneBatch + 150).Select(_ => Finished()).ToList();

        var pruned = _store.Prune(new ActivationRetention { MaxAge = null, MaxCount = 100 });

        Assert.Equal(ActivationStore.PruneBatch + 51, pruned);
        Assert.Equal(100, Rows("activations"));
        Assert.Equal(100, Rows("activation_outputs"));
        Assert.Equal(100, Rows("activation_logs"));
        Assert.All(ids.TakeLast(100), id => Assert.NotNull(_store.GetOutput(id)));
        Assert.Null(_store.Get(ids[^101]));
        Assert.Null(_store.Get(first.ActivationId));
        var (replay, claimed) = _store.StartStep(Start(), requestId, "hello", 1);
        Assert.False(claimed);
        Assert.NotNull(_store.Get(replay.ActivationId));
    }

    [Fact]
    public void Retention_runs_in_the_background_every_interval_until_the_store_is_disposed()
    {
        var old = Finished();
        var passes = new System.Collections.Concurrent.ConcurrentQueue<int>();
        _store.StartRetention(new ActivationRetention { MaxAge = TimeSpan.FromMinutes(1), MaxCount = null, Interval = TimeSpan.FromSeconds(10) },
            passes.Enqueue);
        Assert.Throws<InvalidOperationException>(() => _store.StartRetention(new ActivationRetention()));

        _time.Advance(TimeSpan.FromMinutes(2));
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        // The pass reports itself after its transaction commits: wait for both, or the report can race the check.
        while ((_store.Get(old) is not null || passes.IsEmpty) && DateTime.UtcNow < deadline)
        {
            _time.Advance(TimeSpan.FromSeconds(10));
            Thread.Sleep(20);
        }

        Assert.Null(_store.Get(old));
        Assert.Contains(1, passes);
    }

    [Fact]
    public void Settings_that_would_lose_fresh_results_or_spin_are_refused()
    {
        Assert.Empty(new ActivationRetention().Validate());
        Assert.Empty(ActivationRetention.KeepAll.Validate());
        Assert.False(ActivationRetention.KeepAll.Prunes);
        Assert.Contains(new ActivationRetention { MaxAge = TimeSpan.FromSeconds(5) }.Validate(), p => p.Contains("MaxAge", StringComparison.Ordinal));
        Assert.Contains(new ActivationRetention { MaxCount = 10 }.Validate(), p => p.Contains("MaxCount", StringComparison.Ordinal));
        Assert.Contains(new ActivationRetention { Interval = TimeSpan.Zero }.Validate(), p => p.Contains("Interval", StringComparison.Ordinal));
        Assert.Equal(0, _store.Prune(ActivationRetention.KeepAll));
    }
}
