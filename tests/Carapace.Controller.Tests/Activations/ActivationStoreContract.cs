using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Carapace.Controller.Activations;
using Carapace.Controller.Registry;
using Carapace.Controller.Tests.Contracts;
using Carapace.Envelope.Format;
using Carapace.Envelope.Keys;
using Carapace.Envelope.Sealing;
using Microsoft.Extensions.Time.Testing;

namespace Carapace.Controller.Tests.Activations;

public abstract class ActivationStoreContract : IDisposable
{
    private readonly StoreBackend _backend;
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2025, 6, 1, 12, 0, 0, TimeSpan.Zero));
    private readonly ActivationStore _store;

    protected ActivationStoreContract(StoreBackend backend)
    {
        _backend = backend;
        _store = backend.Activations(_time);
    }

    public void Dispose()
    {
        _store.Dispose();
        _backend.Dispose();
    }

    private static ActivationStart Start(string name = "hello", bool confidential = true, RequestId? requestId = null) => new()
    {
        Action = ActionName.Of("guest", name),
        Version = "0.0.1",
        Subject = "guest",
        Kind = ActionKinds.Wasm,
        Limits = ActionLimits.Default,
        Confidential = confidential,
        WaitTimeMs = 3,
        RequestId = requestId,
        ChainId = requestId is null ? null : "chain-1",
        Step = requestId is null ? null : 0,
    };

    private static string? Annotation(ActivationRecord record, string key) =>
        record.Annotations.SingleOrDefault(a => a.Key == key)?.Value.ToString();

    [Fact]
    public void A_confidential_activation_records_only_metadata_of_its_sealed_output_and_logs()
    {
        const string marker = "MARKER-5f1c9e7a-never-in-the-database";
        using var edge = EdgeKey.FromBytes(new byte[32], "chain-1", 0, 1);
        var output = EnvelopeSealer.Seal(edge, Encoding.UTF8.GetBytes(marker));
        var logs = EnvelopeSealer.Seal(edge, Encoding.UTF8.GetBytes("log " + marker));
        var requestId = RequestId.New();

        var started = _store.Start(Start(requestId: requestId));
        Assert.True(started.IsPending);
        Assert.Null(started.Duration);
        _time.Advance(TimeSpan.FromMilliseconds(42));
        Assert.Equal(CompletionResult.Completed, _store.Complete(started.ActivationId, new ActivationOutcome
        {
            Status = ActivationStatus.Success,
            SealedOutput = output,
            SealedLogs = logs,
            InitTimeMs = 4,
        }));

        var done = _store.Get(started.ActivationId)!;
        Assert.Equal(32, done.ActivationId.ToString().Length);
        Assert.Equal(42, done.Duration);
        Assert.Equal("success", done.Response!.Status.ToWire());
        Assert.True(done.Response.Success);
        var sealedOutput = done.Response.Result.GetProperty("sealedOutput");
        Assert.Equal(output.Length, sealedOutput.GetProperty("size").GetInt64());
        Assert.Equal(BlobDigest.Of(output).Sha256, sealedOutput.GetProperty("sha256").GetString());
        Assert.Equal(EnvelopeHeader.Parse(output).Metadata.KeyId.ToString(), sealedOutput.GetProperty("keyId").GetString());
        Assert.Equal(BlobDigest.Of(logs), done.Logs);
        Assert.Equal(logs, _store.GetSealedLogs(done.ActivationId));
        Assert.Equal("guest/hello", Annotation(done, "path"));
        Assert.Equal("wasm:wasi", Annotation(done, "kind"));
        Assert.Equal("4", Annotation(done, "initTime"));
        Assert.Equal("3", Annotation(done, "waitTime"));
        Assert.Equal(requestId.ToString(), Annotation(done, "carapace.requestId"));
        Assert.Equal("chain-1", Annotation(done, "carapace.chainId"));
        Assert.Equal(256, done.Annotations.Single(a => a.Key == "limits").Value.GetProperty("memory").GetInt32());

        _store.Dispose();
        var files = 0;
        foreach (var (file, bytes) in _backend.StoredBytes())
        {
            files++;
            Assert.False(bytes.AsSpan().IndexOf(Encoding.UTF8.GetBytes(marker)) >= 0, $"{file} holds the plaintext marker");
        }

        Assert.True(files > 0);
    }

    [Fact]
    public void A_confidential_activation_refuses_a_plaintext_result()
    {
        var started = _store.Start(Start());
        using var json = JsonDocument.Parse("""{"greeting":"hi"}""");

        Assert.Throws<InvalidOperationException>(() =>
            _store.Complete(started.ActivationId, new ActivationOutcome { Status = ActivationStatus.Success, PlainResult = json.RootElement }));
        Assert.True(_store.Get(started.ActivationId)!.IsPending);
    }

    [Fact]
    public void A_plaintext_activation_stores_its_json_result_and_the_first_completion_wins()
    {
        var started = _store.Start(Start(confidential: false));
        using var json = JsonDocument.Parse("""{"greeting":"hi"}""");

        Assert.Equal(CompletionResult.Completed, _store.Complete(started.ActivationId,
            new ActivationOutcome { Status = ActivationStatus.ApplicationError, PlainResult = json.RootElement }));
        Assert.Equal(CompletionResult.AlreadyCompleted, _store.Complete(started.ActivationId,
            new ActivationOutcome { Status = ActivationStatus.Success }));
        Assert.Equal(CompletionResult.NotFound, _store.Complete(ActivationId.New(), new ActivationOutcome { Status = ActivationStatus.Success }));

        var done = _store.Get(started.ActivationId)!;
        Assert.Equal("application error", done.Response!.Status.ToWire());
        Assert.False(done.Response.Success);
        Assert.Equal("hi", done.Response.Result.GetProperty("greeting").GetString());
    }

    [Fact]
    public void List_is_newest_first_filters_by_name_and_pages()
    {
        var ids = new List<ActivationId>();
        for (var i = 0; i < 40; i++)
        {
            ids.Add(_store.Start(Start(i % 2 == 0 ? "even" : "odd")).ActivationId);
            if (i % 3 == 0)
            {
                _time.Advance(TimeSpan.FromMilliseconds(1));
            }
        }

        var first = _store.List("guest", null, PageRequest.Default);
        Assert.True(PageRequest.TryCreate(30, 30, out var next, out _));
        var rest = _store.List("guest", null, next);

        Assert.Equal(ids.AsEnumerable().Reverse().Take(30), first.Select(a => a.ActivationId));
        Assert.Equal(ids.AsEnumerable().Reverse().Skip(30), rest.Select(a => a.ActivationId));
        Assert.Equal(20, _store.List("guest", "odd", PageRequest.Default).Count);
        Assert.All(_store.List("guest", "odd", PageRequest.Default), a => Assert.Equal("odd", a.Name));
        Assert.Empty(_store.List("other", null, PageRequest.Default));
    }

    [Fact]
    public async Task TryClaimStep_wins_exactly_once_per_triple_under_32_concurrent_callers()
    {
        var requests = Enumerable.Range(0, 250).Select(_ => RequestId.New()).ToArray();
        var wins = new ConcurrentBag<(RequestId, int)>();
        var attempts = 0;

        await Parallel.ForEachAsync(Enumerable.Range(0, 32), new ParallelOptions { MaxDegreeOfParallelism = 32 }, (worker, _) =>
        {
            // Every worker tries every (request, step) pair: 250 requests × 2 steps × 32 callers = 16,000 claims.
            foreach (var request in requests)
            {
                for (var step = 0; step < 2; step++)
                {
                    Interlocked.Increment(ref attempts);
                    if (_store.TryClaimStep(request, "chain-1", step))
                    {
                        wins.Add((request, step));
                    }
                }
            }

            return ValueTask.CompletedTask;
        });

        Assert.Equal(16_000, attempts);
        Assert.Equal(500, wins.Count);
        Assert.Equal(500, wins.Distinct().Count());
        Assert.False(_store.TryClaimStep(requests[0], "chain-1", 0));
        Assert.True(_store.TryClaimStep(requests[0], "chain-2", 0));
    }

    [Fact]
    public void A_crashed_step_is_recorded_as_failed_with_its_activation_and_never_runs_again()
    {
        var requestId = RequestId.New();
        var started = _store.Start(Start(requestId: requestId));
        Assert.True(_store.TryClaimStep(requestId, "chain-1", 0, started.ActivationId));

        Assert.True(_store.RecordStepFailure(requestId, "chain-1", 0, "the enclave process exited with signal 9 during the invocation"));

        var step = _store.GetStep(requestId, "chain-1", 0)!;
        Assert.Equal(StepState.Failed, step.State);
        Assert.Equal(started.ActivationId, step.ActivationId);
        Assert.Contains("signal 9", step.Error);
        var activation = _store.Get(started.ActivationId)!;
        Assert.Equal("whisk internal error", activation.Response!.Status.ToWire());
        Assert.Contains("signal 9", activation.Response.Result.GetProperty("error").GetString());
        Assert.False(_store.TryClaimStep(requestId, "chain-1", 0));
        Assert.False(_store.RecordStepFailure(requestId, "chain-1", 0, "again"));
        Assert.False(_store.RecordStepFailure(RequestId.New(), "chain-1", 0, "never claimed"));
    }

    [Fact]
    public void Records_and_claims_survive_a_reopen_and_abandoned_steps_become_failures()
    {
        var requestId = RequestId.New();
        var running = _store.Start(Start(requestId: requestId));
        _store.TryClaimStep(requestId, "chain-1", 0, running.ActivationId);
        var finished = _store.Start(Start());
        _store.Complete(finished.ActivationId, new ActivationOutcome { Status = ActivationStatus.DeveloperError, Error = "timed out after 60000 ms" });
        Assert.True(_store.TryClaimStep(requestId, "chain-1", 1));
        Assert.True(_store.CompleteStep(requestId, "chain-1", 1));
        _store.Dispose();

        using var reopened = _backend.Activations(_time);
        Assert.Equal(2, reopened.List("guest", null, PageRequest.Default).Count);
        Assert.Equal("action developer error", reopened.Get(finished.ActivationId)!.Response!.Status.ToWire());
        Assert.False(reopened.TryClaimStep(requestId, "chain-1", 0));

        Assert.Equal(1, reopened.FailAbandonedSteps("the controller restarted while the step was running"));

        Assert.Equal(StepState.Failed, reopened.GetStep(requestId, "chain-1", 0)!.State);
        Assert.Equal(StepState.Succeeded, reopened.GetStep(requestId, "chain-1", 1)!.State);
        Assert.Equal(ActivationStatus.WhiskInternalError, reopened.Get(running.ActivationId)!.Response!.Status);
        Assert.Equal(0, reopened.FailAbandonedSteps("again"));
    }

    [Fact]
    public void At_start_up_an_activation_left_pending_without_a_claimed_step_is_ended_too()
    {
        // A sequence's own record (its steps have their own claims), or one whose outcome a full disk kept out.
        var sequence = _store.Start(Start("pipeline"));
        var done = _store.Start(Start());
        _store.Complete(done.ActivationId, new ActivationOutcome { Status = ActivationStatus.Success });
        _store.Dispose();

        using var reopened = _backend.Activations(_time);
        Assert.Equal(0, reopened.FailAbandonedSteps("the platform stopped while this step was running"));
        Assert.Equal(1, reopened.FailAbandonedActivations("the platform stopped before this activation finished"));

        var ended = reopened.Get(sequence.ActivationId)!;
        Assert.False(ended.IsPending);
        Assert.Equal(ActivationStatus.WhiskInternalError, ended.Response!.Status);
        Assert.Contains("the platform stopped", ended.Response.Result.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal(ActivationStatus.Success, reopened.Get(done.ActivationId)!.Response!.Status);
    }

    [Fact]
    public void Activation_ids_are_32_random_hex_digits()
    {
        var ids = Enumerable.Range(0, 100).Select(_ => ActivationId.New().ToString()).ToHashSet();

        Assert.Equal(100, ids.Count);
        Assert.All(ids, id => Assert.Matches("^[0-9a-f]{32}$", id));
        Assert.True(ActivationId.TryParse(ids.First().ToUpperInvariant(), out var parsed));
        Assert.Equal(ids.First(), parsed.ToString());
        Assert.False(ActivationId.TryParse("xyz", out _));
    }
}
