using Carapace.Controller.Activations;
using Carapace.Controller.Registry;
using Carapace.Controller.Tests.Contracts;
using Carapace.Envelope.Format;
using Microsoft.Extensions.Time.Testing;

namespace Carapace.Controller.Tests.Activations;

/// <summary>
/// What concurrent callers get — threads of one process here, the nodes of a cluster in production: a step of a
/// request is claimed by exactly one of them, an activation completes once, and concurrent deployments of one action
/// each see the version the previous one stored.
/// </summary>
public abstract class ActivationConcurrencyContract : IDisposable
{
    private const int Callers = 16;
    private readonly StoreBackend _backend;
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2025, 6, 1, 12, 0, 0, TimeSpan.Zero));
    private readonly ActivationStore _store;

    protected ActivationConcurrencyContract(StoreBackend backend)
    {
        _backend = backend;
        _store = backend.Activations(_time);
    }

    public void Dispose()
    {
        _store.Dispose();
        _backend.Dispose();
    }

    private static ActivationStart Start(RequestId requestId) => new()
    {
        Action = ActionName.Of("guest", "hello"),
        Version = "0.0.1",
        Subject = "guest",
        Kind = ActionKinds.Wasm,
        Limits = ActionLimits.Default,
        RequestId = requestId,
        ChainId = "chain-1",
        Step = 1,
    };

    [Fact]
    public void Of_many_concurrent_claims_of_one_step_exactly_one_wins_each_time()
    {
        // Two stores on the same database: two processes (or nodes) as well as many threads.
        using var other = _backend.Activations(_time);
        for (var round = 0; round < 5; round++)
        {
            var requestId = RequestId.New();
            var results = Run(i => (i % 2 == 0 ? _store : other).StartStep(Start(requestId), requestId, "chain-1", 1).Claimed);

            Assert.Equal(1, results.Count(claimed => claimed));
            Assert.Equal(StepState.Claimed, _store.GetStep(requestId, "chain-1", 1)!.State);
        }

        // Every attempt left its trace, claimed or refused.
        Assert.Equal(5 * Callers, _store.Count("guest", "hello", 0));
    }

    [Fact]
    public void Of_many_concurrent_completions_of_one_activation_exactly_one_is_recorded()
    {
        var started = _store.Start(Start(RequestId.New()) with { ChainId = null, Step = null, RequestId = null });

        var results = Run(i => _store.Complete(started.ActivationId, new ActivationOutcome
        {
            Status = ActivationStatus.ApplicationError,
            Error = "attempt " + i,
        }));

        Assert.Equal(1, results.Count(r => r == CompletionResult.Completed));
        Assert.Equal(Callers - 1, results.Count(r => r == CompletionResult.AlreadyCompleted));
        var error = _store.Get(started.ActivationId)!.Response!.Result.GetProperty("error").GetString();
        Assert.Contains(results.Select((r, i) => (r, i)).Where(x => x.r == CompletionResult.Completed).Select(x => "attempt " + x.i), e => e == error);
    }

    [Fact]
    public void Concurrent_overwrites_of_one_action_each_bump_the_version_once()
    {
        using var registry = _backend.Actions(_time);
        using var other = _backend.Actions(_time);
        registry.CreateNamespace("guest");
        var name = ActionName.Of("guest", "hello");
        var module = new byte[] { 0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00 };
        Assert.Equal(PutActionStatus.Created, registry.Put(name, new ActionDefinition { Exec = ActionExec.Wasm(module) }, overwrite: false).Status);

        var results = Run(i => (i % 2 == 0 ? registry : other).Put(name, new ActionDefinition { Exec = ActionExec.Wasm(module) }, overwrite: true));

        Assert.All(results, r => Assert.Equal(PutActionStatus.Updated, r.Status));
        Assert.Equal(Callers, results.Select(r => r.Action!.Version).Distinct().Count());
        Assert.Equal($"0.0.{Callers + 1}", registry.Get(name)!.Version);
    }

    // Runs the same call from many threads at once (released together by a barrier) and returns each one's result.
    private static T[] Run<T>(Func<int, T> call)
    {
        using var barrier = new Barrier(Callers);
        var results = new T[Callers];
        var failures = new Exception?[Callers];
        var threads = Enumerable.Range(0, Callers).Select(i => new Thread(() =>
        {
            try
            {
                barrier.SignalAndWait(TimeSpan.FromSeconds(30));
                results[i] = call(i);
            }
            catch (Exception e)
            {
                failures[i] = e;
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        Assert.All(threads, t => Assert.True(t.Join(TimeSpan.FromSeconds(120)), "a caller did not finish in time"));
        Assert.All(failures, Assert.Null);
        return results;
    }
}
