using Carapace.Controller.Activations;
using Carapace.Controller.Registry;
using Carapace.Controller.Tests.Contracts;
using Carapace.Envelope.Format;
using Carapace.Envelope.Keys;
using Carapace.Envelope.Sealing;
using Microsoft.Extensions.Time.Testing;

namespace Carapace.Controller.Tests.Activations;

/// <summary>
/// The parts of an activation's life around its run: a step claim withdrawn when the enclave did not accept the input,
/// a queued activation marked started when it leaves the queue, what a stopped platform left pending, and what is kept
/// of an inner step's output.
/// </summary>
public abstract class ActivationLifecycleContract : IDisposable
{
    private const string Chain = "hello";
    private readonly StoreBackend _backend;
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2025, 6, 1, 12, 0, 0, TimeSpan.Zero));
    private readonly ActivationStore _store;

    protected ActivationLifecycleContract(StoreBackend backend)
    {
        _backend = backend;
        _store = backend.Activations(_time);
    }

    public void Dispose()
    {
        _store.Dispose();
        _backend.Dispose();
    }

    private static ActivationStart Start(RequestId? requestId = null, int? step = 1) => new()
    {
        Action = ActionName.Of("guest", "hello"),
        Version = "0.0.1",
        Subject = "guest",
        Kind = ActionKinds.Wasm,
        Limits = ActionLimits.Default,
        RequestId = requestId,
        ChainId = requestId is null ? null : Chain,
        Step = step,
    };

    private static ActivationOutcome Refused(string error) => new() { Status = ActivationStatus.ApplicationError, Error = error };

    [Fact]
    public void A_released_step_keeps_the_refusal_recorded_and_lets_a_later_copy_claim_the_step()
    {
        var requestId = RequestId.New();
        var (tampered, claimed) = _store.StartStep(Start(requestId), requestId, Chain, 1);
        Assert.True(claimed);

        Assert.True(_store.ReleaseStep(tampered.ActivationId, Refused("input rejected: authentication failed"), requestId, Chain, 1));

        Assert.Null(_store.GetStep(requestId, Chain, 1));
        var refusal = _store.Get(tampered.ActivationId)!;
        Assert.Equal(ActivationStatus.ApplicationError, refusal.Response!.Status);
        Assert.Contains("authentication failed", refusal.Response.Result.GetProperty("error").GetString(), StringComparison.Ordinal);
        var (genuine, genuineClaimed) = _store.StartStep(Start(requestId), requestId, Chain, 1);
        Assert.True(genuineClaimed);
        Assert.Equal(genuine.ActivationId, _store.GetStep(requestId, Chain, 1)!.ActivationId);
    }

    [Fact]
    public void Only_the_activation_holding_an_unfinished_claim_can_release_it()
    {
        var requestId = RequestId.New();
        var (first, _) = _store.StartStep(Start(requestId), requestId, Chain, 1);
        var (replay, replayClaimed) = _store.StartStep(Start(requestId), requestId, Chain, 1);
        Assert.False(replayClaimed);

        // A replay refused by the controller does not hold the claim, so it cannot free it for a third copy.
        Assert.False(_store.ReleaseStep(replay.ActivationId, Refused("replayed"), requestId, Chain, 1));
        Assert.Equal(first.ActivationId, _store.GetStep(requestId, Chain, 1)!.ActivationId);

        // A step that ran is used up for good.
        _store.FinishStep(first.ActivationId, new ActivationOutcome { Status = ActivationStatus.Success }, requestId, Chain, 1);
        Assert.False(_store.ReleaseStep(first.ActivationId, Refused("late"), requestId, Chain, 1));
        Assert.Equal(StepState.Succeeded, _store.GetStep(requestId, Chain, 1)!.State);
        Assert.False(_store.TryClaimStep(requestId, Chain, 1));
    }

    [Fact]
    public void A_queued_activation_marked_started_gets_its_wait_time_and_start()
    {
        var queued = _store.Start(Start());
        _time.Advance(TimeSpan.FromMilliseconds(1500));

        Assert.True(_store.MarkStarted(queued.ActivationId, 1500));

        var started = _store.Get(queued.ActivationId)!;
        Assert.Equal(queued.Start.AddMilliseconds(1500), started.Start);
        Assert.Equal("1500", started.Annotations.Single(a => a.Key == "waitTime").Value.ToString());
        _store.Complete(queued.ActivationId, new ActivationOutcome { Status = ActivationStatus.Success });
        Assert.False(_store.MarkStarted(queued.ActivationId, 9));
    }

    [Fact]
    public void Activations_a_stopped_platform_left_pending_without_a_claim_are_recorded_as_failed()
    {
        // A queued sequence has a pending activation and no claimed step yet; a finished one must stay as it was.
        var queued = _store.Start(Start(step: null));
        var requestId = RequestId.New();
        var (running, _) = _store.StartStep(Start(requestId), requestId, Chain, 1);
        var finished = _store.Start(Start());
        _store.Complete(finished.ActivationId, new ActivationOutcome { Status = ActivationStatus.Success });
        _store.Dispose();

        using var reopened = _backend.Activations(_time);
        Assert.Equal(1, reopened.FailAbandonedSteps("the platform stopped while this step was running"));
        Assert.Equal(1, reopened.FailAbandonedActivations("the platform stopped before this activation finished"));

        var failed = reopened.Get(queued.ActivationId)!;
        Assert.Equal(ActivationStatus.WhiskInternalError, failed.Response!.Status);
        Assert.Equal("the platform stopped before this activation finished", failed.Response.Result.GetProperty("error").GetString());
        Assert.Equal("the platform stopped while this step was running",
            reopened.Get(running.ActivationId)!.Response!.Result.GetProperty("error").GetString());
        Assert.Equal(ActivationStatus.Success, reopened.Get(finished.ActivationId)!.Response!.Status);
        Assert.Equal(0, reopened.FailAbandonedActivations("again"));
    }

    [Fact]
    public void An_inner_step_output_is_recorded_by_its_digest_only()
    {
        using var edge = EdgeKey.FromBytes(new byte[32], Chain, 1, 2);
        var output = EnvelopeSealer.Seal(edge, "for the next step only"u8);
        var inner = _store.Start(Start());

        _store.Complete(inner.ActivationId, new ActivationOutcome { Status = ActivationStatus.Success, SealedOutput = output, KeepSealedOutput = false });

        var sealedOutput = _store.Get(inner.ActivationId)!.Response!.Result.GetProperty("sealedOutput");
        Assert.Equal(output.Length, sealedOutput.GetProperty("size").GetInt64());
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(output)), sealedOutput.GetProperty("sha256").GetString());
        Assert.Null(_store.GetOutput(inner.ActivationId)!.SealedOutput);
    }
}
