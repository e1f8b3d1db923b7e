using System.Diagnostics;
using Carapace.Controller.Activations;
using Carapace.Controller.Registry;
using Carapace.Controller.Scheduling;
using Carapace.Controller.Storage;
using Carapace.Envelope;
using Carapace.Envelope.Format;
using Carapace.Protocol;
using Carapace.Worker.Enclaves;
using Carapace.Worker.Pools;

namespace Carapace.Controller.Invocation;

/// <summary>
/// Runs invocations: admits them, records their activations, schedules every step onto the action's enclave pool and
/// routes a chain from step to step by the public envelope metadata alone. The controller never opens an envelope.
/// </summary>
/// <remarks>
/// The input must be addressed to edge 0 → 1 of the chain named like the action. Step <c>i</c> runs at most once per
/// request id (<see cref="ActivationStore.TryClaimStep"/>): a replayed or retried request is recorded as refused and
/// runs nothing. Step <c>i</c>'s output must be addressed to <c>i → i+1</c> of the same chain and request; anything
/// else ends the chain with a recorded error. An enclave lost mid-step is a recorded failure of that step (the pool
/// replaces the enclave); nothing is retried behind the caller's back.
/// </remarks>
public sealed class InvocationService : IAsyncDisposable
{
    private readonly ActionRegistry _registry;
    private readonly ActivationStore _activations;
    private readonly AdmissionQueue _admission;
    private readonly ActionPools _pools;
    private readonly IPlaintextBridge? _plaintext;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _shutdown = new();
    private readonly Lock _runningLock = new();
    private readonly HashSet<Task> _running = [];
    private readonly UnrecordedOutcomes _unrecorded;

    /// <summary>
    /// Creates the service over the controller's stores and the worker's pools (none of which it disposes);
    /// <paramref name="plaintext"/> runs actions deployed with <c>confidential: false</c> (without it they are refused).
    /// </summary>
    public InvocationService(ActionRegistry registry, ActivationStore activations, AdmissionQueue admission, ActionPools pools,
        IPlaintextBridge? plaintext = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(activations);
        ArgumentNullException.ThrowIfNull(admission);
        ArgumentNullException.ThrowIfNull(pools);
        _registry = registry;
        _activations = activations;
        _admission = admission;
        _pools = pools;
        _plaintext = plaintext;
        _time = time ?? TimeProvider.System;
        _unrecorded = new UnrecordedOutcomes(activations);
    }

    /// <summary>Outcomes that could not be written (a full disk) and are waiting to be recorded.</summary>
    public int UnrecordedCount => _unrecorded.Count;

    /// <summary>How many invocations are running now.</summary>
    public int RunningCount
    {
        get
        {
            lock (_runningLock)
            {
                return _running.Count;
            }
        }
    }

    /// <summary>The chain id an action's envelopes travel: the action's name within its namespace.</summary>
    public static string ChainIdOf(ActionName action) => action.Name;

    /// <summary>
    /// Checks the request, waits for an admission slot, records the pending activation and starts running it.
    /// </summary>
    /// <exception cref="InvocationRejectedException">The action does not exist, or the envelope is malformed or misaddressed.</exception>
    /// <exception cref="QueueFullException">The namespace has no free slot and the queue is full.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired while waiting for a slot.</exception>
    public async Task<PendingInvocation> StartAsync(InvocationRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ObjectDisposedException.ThrowIf(_shutdown.IsCancellationRequested, this);
        // Outcomes a full disk kept from being written are recorded first, now that a write may succeed again.
        _unrecorded.Flush();
        var plan = Prepare(request);
        var queued = _time.GetTimestamp();
        var lease = await _admission.EnterAsync(request.Action.Namespace, cancellationToken).ConfigureAwait(false);
        try
        {
            var waitMs = (long)_time.GetElapsedTime(queued).TotalMilliseconds;
            var start = new ActivationStart
            {
                Action = plan.Root.Name,
                Version = plan.Root.Version,
                Subject = request.Subject,
                Kind = plan.Root.Exec.Kind,
                Limits = plan.Root.Limits,
                Confidential = plan.Confidential,
                WaitTimeMs = waitMs,
                RequestId = plan.Header.RequestId,
                ChainId = plan.Chain,
                Step = plan.Root.Exec.IsSequence ? null : 1,
            };

            // A single action's activation is its one step: recorded and claimed in one transaction.
            ActivationRecord top;
            bool? claimed = null;
            if (plan.Root.Exec.IsSequence)
            {
                top = _activations.Start(start);
            }
            else
            {
                (top, var first) = _activations.StartStep(start, plan.Header.RequestId, plan.Chain, 1);
                claimed = first;
            }

            var run = RunGuardedAsync(plan, request, top, claimed, lease);
            Track(run);
            return new PendingInvocation(top.ActivationId, run);
        }
        catch
        {
            lease.Dispose();
            throw;
        }
    }

    /// <summary>Starts the invocation and waits for its result.</summary>
    /// <exception cref="InvocationRejectedException">See <see cref="StartAsync"/>.</exception>
    /// <exception cref="QueueFullException">See <see cref="StartAsync"/>.</exception>
    public async Task<InvocationResult> InvokeAsync(InvocationRequest request, CancellationToken cancellationToken = default)
    {
        var pending = await StartAsync(request, cancellationToken).ConfigureAwait(false);
        return await pending.Completion.ConfigureAwait(false);
    }

    /// <summary>Stops accepting invocations and waits (until <paramref name="cancellationToken"/>) for running ones to be recorded.</summary>
    public async Task DrainAsync(CancellationToken cancellationToken = default)
    {
        await _shutdown.CancelAsync().ConfigureAwait(false);
        Task[] running;
        lock (_runningLock)
        {
            running = [.. _running];
        }

        await Task.WhenAll(running).WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Drains (without a deadline) and releases the service.</summary>
    public async ValueTask DisposeAsync()
    {
        await DrainAsync().ConfigureAwait(false);
        _shutdown.Dispose();
    }

    private Plan Prepare(InvocationRequest request)
    {
        var resolution = _registry.Resolve(request.Action);
        if (resolution.Status == SequenceResolutionStatus.NotFound)
        {
            throw new InvocationRejectedException(InvocationRejection.NotFound, $"The requested resource does not exist: action {request.Action}.");
        }

        if (resolution.Status != SequenceResolutionStatus.Resolved)
        {
            throw new InvocationRejectedException(InvocationRejection.NotRunnable, resolution.Error ?? $"The action {request.Action} cannot be run.");
        }

        var root = resolution.Root!;
        var steps = resolution.Steps;
        // A sequence is as confidential as its components (a sequence record's own flag is not what runs).
        var confidential = steps[0].Confidential;
        if (steps.Any(s => s.Confidential != confidential))
        {
            throw new InvocationRejectedException(InvocationRejection.NotRunnable,
                $"The sequence {request.Action} mixes confidential and plaintext actions; make all of its components one or the other.");
        }

        if (root.Exec.IsSequence && steps.Any(s => s.Name.Namespace != root.Name.Namespace))
        {
            throw new InvocationRejectedException(InvocationRejection.NotRunnable,
                $"The sequence {request.Action} has components in other namespaces; a chain's keys belong to one namespace.");
        }

        if (!confidential && _plaintext is null)
        {
            throw new InvocationRejectedException(InvocationRejection.NotRunnable,
                $"The action {request.Action} is not confidential, and this controller has no trusted edge to run plaintext actions.");
        }

        EnvelopeMetadata header;
        try
        {
            header = EnvelopeHeader.Parse(request.SealedInput.Span).Metadata;
        }
        catch (EnvelopeException e)
        {
            throw new InvocationRejectedException(InvocationRejection.BadEnvelope, $"The request body is not a Carapace envelope: {e.Message}");
        }

        // A confidential chain is one chain named like the invoked action; a plaintext sequence is a series of
        // single-step chains, re-sealed between steps by the trusted edge.
        var chain = ChainIdOf(root.Name);
        var entry = confidential ? chain : ChainIdOf(steps[0].Name);
        if (header.ChainId != entry || header.Step != 0 || header.NextStep != 1)
        {
            throw new InvocationRejectedException(InvocationRejection.WrongAddress,
                $"The envelope is addressed to chain '{header.ChainId}' edge {header.Step}->{header.NextStep}; "
                + $"an invocation of {request.Action} must be sealed for chain '{entry}' edge 0->1.");
        }

        return new Plan(root, steps, chain, header, confidential);
    }

    private void Track(Task run)
    {
        lock (_runningLock)
        {
            _running.Add(run);
        }

        run.ContinueWith(t =>
        {
            lock (_runningLock)
            {
                _running.Remove(t);
            }
        }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private async Task<InvocationResult> RunGuardedAsync(Plan plan, InvocationRequest request, ActivationRecord top, bool? claimed, IDisposable lease)
    {
        await Task.Yield();
        using (lease)
        {
            try
            {
                return await RunAsync(plan, request, top, claimed).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                // A bug or a broken store must still leave a recorded outcome, never a pending record forever.
                var full = StorageFull.IsCause(e);
                var message = full
                    ? "the platform's disk is full, so the outcome of this activation could not be recorded; whatever ran is lost"
                    : $"the controller failed while running the activation ({e.GetType().Name}: {e.Message})";
                var outcome = new ActivationOutcome { Status = ActivationStatus.WhiskInternalError, Error = message };
                try
                {
                    _activations.Complete(top.ActivationId, outcome);
                    foreach (var step in plan.Steps.Select((_, i) => i + 1))
                    {
                        _activations.RecordStepFailure(plan.Header.RequestId, plan.Chain, step, message);
                    }
                }
                catch (Exception again) when (StorageFull.IsCause(again))
                {
                    // Not even the failure can be written: keep it until a write succeeds (the next invocation), or
                    // the next start, which ends every pending activation.
                    _unrecorded.Add(top.ActivationId, outcome, plan.Header.RequestId, plan.Chain, plan.Steps.Count);
                    full = true;
                }

                return new InvocationResult { ActivationId = top.ActivationId, Status = ActivationStatus.WhiskInternalError, Error = message, StorageFull = full };
            }
        }
    }

    // firstClaimed: for a single action, whether its step was claimed along with its activation.
    private async Task<InvocationResult> RunAsync(Plan plan, InvocationRequest request, ActivationRecord top, bool? firstClaimed)
    {
        var requestId = plan.Header.RequestId;
        var sequence = plan.Root.Exec.IsSequence;
        var receipts = new List<ReadOnlyMemory<byte>>(plan.Steps.Count);
        var stepActivations = new List<ActivationId>(plan.Steps.Count);
        var input = request.SealedInput;
        ReadOnlyMemory<byte>? log = null;
        var cold = false;
        long initMicros = 0;
        System.Text.Json.JsonElement? plainResult = null;
        for (var i = 1; i <= plan.Steps.Count; i++)
        {
            var action = plan.Steps[i - 1];
            var (activation, claimed) = sequence
                ? Started(_activations.StartStep(new ActivationStart
                {
                    Action = action.Name,
                    Version = action.Version,
                    Subject = request.Subject,
                    Kind = action.Exec.Kind,
                    Limits = action.Limits,
                    Confidential = action.Confidential,
                    CausedBy = "sequence",
                    RequestId = requestId,
                    ChainId = plan.Chain,
                    Step = i,
                }, requestId, plan.Chain, i))
                : (top.ActivationId, firstClaimed!.Value);
            stepActivations.Add(activation);

            if (!claimed)
            {
                var replay = $"request {requestId} already ran step {i} of chain '{plan.Chain}'; a step runs at most once per request id, so it was not run again";
                return Finish(top, activation, sequence, ActivationStatus.ApplicationError, replay, stepActivations, receipts, cold, initMicros) with { Replayed = true };
            }

            Worker.Pools.InvocationOutcome outcome;
            try
            {
                outcome = await _pools.For(action).InvokeAsync(input, _shutdown.Token).ConfigureAwait(false);
                if (outcome.Result.Status == InvocationStatus.InputRejected && KeyUnavailable.IsReason(outcome.Result.Message))
                {
                    // The enclave was attested under an older policy (e.g. before this chain existed): the function did
                    // not run. Retire the action's enclaves and let one attested under the current policy take the same
                    // input, once, under the same step claim.
                    _pools.Retire(action.Name);
                    var retried = await _pools.For(action).InvokeAsync(input, _shutdown.Token).ConfigureAwait(false);
                    outcome = retried with
                    {
                        ColdStart = true,
                        SpecializeMicroseconds = outcome.SpecializeMicroseconds + retried.SpecializeMicroseconds,
                    };
                }
            }
            catch (KmsUnavailableException e)
            {
                // Nothing ran: no enclave could get its keys. The failure is recorded, and the caller told when to retry.
                var reason = $"step {i} ({action.Name}) could not start: {e.Message}; nothing ran, retry in {Math.Ceiling(e.RetryAfter.TotalSeconds):0} s";
                _activations.RecordStepFailure(requestId, plan.Chain, i, reason);
                return Finish(top, activation, sequence, ActivationStatus.WhiskInternalError, reason, stepActivations, receipts, cold, initMicros)
                    with { RetryAfter = e.RetryAfter };
            }
            catch (Exception e) when (e is EnclaveException or OperationCanceledException)
            {
                var reason = e switch
                {
                    EnclaveException { EnclaveLost: true } lost =>
                        $"step {i} ({action.Name}) failed in the platform: the enclave running it was lost ({lost.Message}); it was not run again",
                    EnclaveException refused => $"step {i} ({action.Name}) failed in the platform: {refused.Message}",
                    _ => $"step {i} ({action.Name}) was interrupted by the platform shutting down",
                };
                _activations.RecordStepFailure(requestId, plan.Chain, i, reason);
                return Finish(top, activation, sequence, ActivationStatus.WhiskInternalError, reason, stepActivations, receipts, cold, initMicros);
            }

            var result = outcome.Result;
            if (outcome.ColdStart)
            {
                cold = true;
                initMicros += outcome.SpecializeMicroseconds;
            }

            if (ReceiptOf(result).Length > 0)
            {
                receipts.Add(ReceiptOf(result));
            }

            if (result.Log.Length > 0)
            {
                log = result.Log;
            }

            var (status, error) = StatusOf(result);
            if (status == ActivationStatus.Success)
            {
                error = action.Confidential
                    ? Misaddressed(result.Output.Span, plan.Chain, requestId, i)
                    : Misaddressed(result.Output.Span, ChainIdOf(action.Name), requestId, 1);
                if (error is not null)
                {
                    status = ActivationStatus.ApplicationError;
                }
            }

            var plain = action.Confidential ? null : _plaintext!.Open(action, result.Output, result.Log);
            plainResult = plain?.Result;
            _activations.FinishStep(activation, new ActivationOutcome
            {
                Status = status,
                Error = error,
                SealedOutput = plain is null && result.Output.Length > 0 ? result.Output : NoBytes,
                PlainResult = plain?.Result,
                SealedLogs = plain is not null ? plain.Logs : result.Log.Length > 0 ? result.Log : NoBytes,
                Receipts = ReceiptOf(result).Length > 0 ? [ReceiptOf(result)] : [],
                InitTimeMs = outcome.ColdStart ? outcome.SpecializeMicroseconds / 1000 : null,
            }, requestId, plan.Chain, i);
            if (status != ActivationStatus.Success)
            {
                var stepError = sequence ? $"step {i} ({action.Name}) failed: {error ?? status.ToWire()}" : error;
                return Finish(top, activation, sequence, status, stepError, stepActivations, receipts, cold, initMicros,
                    result.Output.Length > 0 && !sequence ? result.Output : NoBytes, log) with { PlainResult = plainResult };
            }

            input = action.Confidential || i == plan.Steps.Count
                ? result.Output
                : _plaintext!.Forward(action, plan.Steps[i], requestId, result.Output);
        }

        if (sequence)
        {
            _activations.Complete(top.ActivationId, new ActivationOutcome
            {
                Status = ActivationStatus.Success,
                SealedOutput = plainResult is null ? input : NoBytes,
                PlainResult = plainResult,
                Receipts = receipts,
                InitTimeMs = cold ? initMicros / 1000 : null,
            });
        }

        return new InvocationResult
        {
            ActivationId = top.ActivationId,
            Status = ActivationStatus.Success,
            SealedOutput = input,
            SealedLog = log,
            Receipts = receipts,
            StepActivations = stepActivations,
            ColdStart = cold,
            InitTimeMs = cold ? initMicros / 1000 : null,
            PlainResult = plainResult,
        };
    }

    private InvocationResult Finish(ActivationRecord top, ActivationId step, bool sequence, ActivationStatus status, string? error,
        List<ActivationId> stepActivations, List<ReadOnlyMemory<byte>> receipts, bool cold, long initMicros,
        ReadOnlyMemory<byte>? output = null, ReadOnlyMemory<byte>? log = null)
    {
        var outcome = new ActivationOutcome { Status = status, Error = error, Receipts = receipts, InitTimeMs = cold ? initMicros / 1000 : null };
        // The step's own activation is completed here only if nothing completed it yet (replay, lost enclave).
        _activations.Complete(step, outcome);
        if (sequence)
        {
            _activations.Complete(top.ActivationId, outcome);
        }

        return new InvocationResult
        {
            ActivationId = top.ActivationId,
            Status = status,
            Error = error,
            SealedOutput = output,
            SealedLog = log,
            Receipts = receipts,
            StepActivations = stepActivations,
            ColdStart = cold,
            InitTimeMs = cold ? initMicros / 1000 : null,
        };
    }

    private static (ActivationId Id, bool Claimed) Started((ActivationRecord Record, bool Claimed) started) => (started.Record.ActivationId, started.Claimed);

    /// <summary>Why step <paramref name="step"/>'s output cannot go on (null when it is addressed to step+1 of the same chain and request).</summary>
    private static string? Misaddressed(ReadOnlySpan<byte> output, string chain, RequestId requestId, int step)
    {
        EnvelopeMetadata header;
        try
        {
            header = EnvelopeHeader.Parse(output).Metadata;
        }
        catch (EnvelopeException e)
        {
            return $"the output of step {step} is not a valid envelope ({e.Message})";
        }

        if (header.ChainId != chain || header.RequestId != requestId || header.Step != step || header.NextStep != step + 1)
        {
            return $"the output of step {step} is addressed to chain '{header.ChainId}' edge {header.Step}->{header.NextStep} of request {header.RequestId}, "
                + $"not to edge {step}->{step + 1} of chain '{chain}' request {requestId}";
        }

        return null;
    }

    /// <summary>OpenWhisk's status for an enclave result, and the platform's message for a failure.</summary>
    internal static (ActivationStatus Status, string? Error) StatusOf(ResultMessage result) => result.Status switch
    {
        InvocationStatus.Completed when result.ExitCode == 0 => (ActivationStatus.Success, null),
        InvocationStatus.Completed => (ActivationStatus.ApplicationError, $"the function exited with code {result.ExitCode}"),
        InvocationStatus.InputRejected => (ActivationStatus.ApplicationError, result.Message),
        InvocationStatus.IntegrityViolation => (ActivationStatus.WhiskInternalError, result.Message),
        _ => (ActivationStatus.DeveloperError, result.Message),
    };

    // Null, typed: a bare null in a conditional with a ReadOnlyMemory<byte> would become an empty (non-null) memory.
    private static readonly ReadOnlyMemory<byte>? NoBytes = null;

    // The enclave's signed receipt of the step (empty for plaintext actions, whose enclaves are not KMS-attested).
    private static ReadOnlyMemory<byte> ReceiptOf(ResultMessage result) => result.Receipt;

    private sealed record Plan(ActionRecord Root, IReadOnlyList<ActionRecord> Steps, string Chain, EnvelopeMetadata Header, bool Confidential);
}
