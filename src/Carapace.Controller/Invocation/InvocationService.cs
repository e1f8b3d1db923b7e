using Carapace.Controller.Activations;
using Carapace.Controller.Registry;
using Carapace.Controller.Scheduling;
using Carapace.Controller.Storage;
using Carapace.Envelope;
using Carapace.Envelope.Format;

namespace Carapace.Controller.Invocation;

/// <summary>
/// Runs invocations: admits them, records their activations, schedules every step onto the action's enclave pool and
/// routes a chain from step to step by the public envelope metadata alone. The controller never opens an envelope.
/// </summary>
/// <remarks>
/// The input must be addressed to edge 0 → 1 of the chain named like the action. Step <c>i</c> runs at most once per
/// request id (<see cref="ActivationStore.TryClaimStep"/>): a replayed or retried request is recorded as refused and
/// runs nothing. The claim is withdrawn only when the enclave refused the input without accepting its request id (it
/// did not authenticate, or the enclave held no key for it), so a damaged copy delivered first cannot use up the
/// genuine request. Step <c>i</c>'s output must be addressed to <c>i → i+1</c> of the same chain and request; anything
/// else ends the chain with a recorded error. An enclave lost mid-step is a recorded failure of that step (the pool
/// replaces the enclave); nothing is retried behind the caller's back.
/// </remarks>
public sealed partial class InvocationService : IAsyncDisposable
{
    private const string StoppedBeforeRun = "the platform stopped before this activation ran; nothing ran, and its request id was not used up";

    private readonly ActionRegistry _registry;
    private readonly ActivationStore _activations;
    private readonly AdmissionQueue _admission;
    private readonly IStepRunner _steps;
    private readonly IPlaintextBridge? _plaintext;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _shutdown = new();
    private readonly Lock _runningLock = new();
    private readonly HashSet<Task> _running = [];
    private readonly UnrecordedOutcomes _unrecorded;

    /// <summary>
    /// Creates the service over the controller's stores and where its steps run (the worker's <see cref="ActionPools"/>
    /// in one process, worker nodes in a cluster; none of which it disposes);
    /// <paramref name="plaintext"/> runs actions deployed with <c>confidential: false</c> (without it they are refused).
    /// </summary>
    public InvocationService(ActionRegistry registry, ActivationStore activations, AdmissionQueue admission, IStepRunner steps,
        IPlaintextBridge? plaintext = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(activations);
        ArgumentNullException.ThrowIfNull(admission);
        ArgumentNullException.ThrowIfNull(steps);
        _registry = registry;
        _activations = activations;
        _admission = admission;
        _steps = steps;
        _plaintext = plaintext;
        _time = time ?? TimeProvider.System;
        _unrecorded = new UnrecordedOutcomes(activations);
    }

    /// <summary>Invocations of one namespace that may run at once (OpenWhisk's <c>concurrentInvocations</c>).</summary>
    public int PerNamespaceConcurrency => _admission.PerNamespaceConcurrency;

    /// <summary>Outcomes that could not be written (a full disk) and are waiting to be recorded.</summary>
    public int UnrecordedCount => _unrecorded.Count;

    /// <summary>How many accepted invocations have not finished yet (running, or waiting in the queue).</summary>
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
    /// Resolves what an invocation of <paramref name="action"/> runs, and checks that it can run: its steps exist, fit
    /// the sequence limits, are all confidential or all plaintext, and (for a confidential sequence) live in the
    /// action's namespace. The expansion is bounded and stops when <paramref name="cancellationToken"/> fires.
    /// </summary>
    /// <exception cref="InvocationRejectedException">The action does not exist or cannot run.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired.</exception>
    public InvocationPlan Plan(ActionName action, CancellationToken cancellationToken = default)
    {
        var resolution = _registry.Resolve(action, cancellationToken);
        switch (resolution.Status)
        {
            case SequenceResolutionStatus.Resolved:
                break;
            case SequenceResolutionStatus.NotFound:
                throw new InvocationRejectedException(InvocationRejection.NotFound, $"The requested resource does not exist: action {action}.");
            case SequenceResolutionStatus.TooLong:
                throw new InvocationRejectedException(InvocationRejection.SequenceTooLong, resolution.Error ?? $"The sequence {action} is too long.");
            default:
                throw new InvocationRejectedException(InvocationRejection.NotRunnable, resolution.Error ?? $"The action {action} cannot be run.");
        }

        var root = resolution.Root!;
        var steps = resolution.Steps;
        // A sequence is as confidential as its components (a sequence record's own flag is not what runs).
        var confidential = steps[0].Confidential;
        if (steps.Any(s => s.Confidential != confidential))
        {
            throw new InvocationRejectedException(InvocationRejection.NotRunnable,
                $"The sequence {action} mixes confidential and plaintext actions; make all of its components one or the other.");
        }

        if (root.Exec.IsSequence && steps.Any(s => s.Name.Namespace != root.Name.Namespace))
        {
            throw new InvocationRejectedException(InvocationRejection.NotRunnable,
                $"The sequence {action} has components in other namespaces; a chain's keys belong to one namespace.");
        }

        if (!confidential && _plaintext is null)
        {
            throw new InvocationRejectedException(InvocationRejection.NotRunnable,
                $"The action {action} is not confidential, and this controller has no trusted edge to run plaintext actions.");
        }

        return new InvocationPlan(root, steps, confidential);
    }

    /// <summary>
    /// A blocking invocation: checks the request, waits for an admission slot, records the pending activation and
    /// starts running it.
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
        var (plan, header) = Prepare(request, cancellationToken);
        var queued = _time.GetTimestamp();
        AdmissionLease lease;
        using (ControllerTelemetry.Stages.Start("admission"))
        {
            lease = await _admission.EnterAsync(request.Action.Namespace, request.SealedInput.Length, cancellationToken).ConfigureAwait(false);
        }

        try
        {
            var (top, claimed) = Record(plan, header, request, (long)_time.GetElapsedTime(queued).TotalMilliseconds);
            // The caller waits for the result anyway: run on its thread up to the first real wait (the enclave's answer)
            // instead of handing the invocation to another thread first.
            var run = RunGuardedAsync(plan, header, request, top, claimed, lease, waitedMs: null, yieldFirst: false);
            Track(run);
            return new PendingInvocation(top.ActivationId, run);
        }
        catch
        {
            lease.Dispose();
            throw;
        }
    }

    /// <summary>Starts the invocation (blocking) and waits for its result.</summary>
    /// <exception cref="InvocationRejectedException">See <see cref="StartAsync"/>.</exception>
    /// <exception cref="QueueFullException">See <see cref="StartAsync"/>.</exception>
    public async Task<InvocationResult> InvokeAsync(InvocationRequest request, CancellationToken cancellationToken = default)
    {
        var pending = await StartAsync(request, cancellationToken).ConfigureAwait(false);
        return await pending.Completion.ConfigureAwait(false);
    }

    /// <summary>
    /// Stops accepting invocations and waits (until <paramref name="cancellationToken"/>) for every accepted one to be
    /// recorded: running steps are interrupted and recorded as such, queued invocations as not run.
    /// </summary>
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

    /// <summary>The request's plan (the one it carries, or resolved now) and its checked envelope header.</summary>
    private (InvocationPlan Plan, EnvelopeMetadata Header) Prepare(InvocationRequest request, CancellationToken cancellationToken)
    {
        var plan = request.Plan ?? Plan(request.Action, cancellationToken);
        if (plan.Root.Name != request.Action)
        {
            throw new ArgumentException($"The plan is of {plan.Root.Name}, not of the invoked action {request.Action}.", nameof(request));
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
        var entry = plan.EntryChain;
        if (header.ChainId != entry || header.Step != 0 || header.NextStep != 1)
        {
            throw new InvocationRejectedException(InvocationRejection.WrongAddress,
                $"The envelope is addressed to chain '{header.ChainId}' edge {header.Step}->{header.NextStep}; "
                + $"an invocation of {request.Action} must be sealed for chain '{entry}' edge 0->1.");
        }

        return (plan, header);
    }

    /// <summary>
    /// Records the pending activation. A single action's activation is its one step: recorded and claimed in one
    /// transaction (<c>Claimed</c> false for a replay); a sequence's steps are claimed as they run (<c>Claimed</c> null).
    /// </summary>
    private (ActivationRecord Top, bool? Claimed) Record(InvocationPlan plan, EnvelopeMetadata header, InvocationRequest request, long waitTimeMs)
    {
        using var stage = ControllerTelemetry.Stages.Start("record");
        var start = new ActivationStart
        {
            Action = plan.Root.Name,
            Version = plan.Root.Version,
            Subject = request.Subject,
            Kind = plan.Root.Exec.Kind,
            // A sequence's memory is its largest component's, as OpenWhisk annotates it.
            Limits = plan.IsSequence ? plan.Root.Limits with { MemoryMiB = plan.Steps.Max(s => s.Limits.MemoryMiB) } : plan.Root.Limits,
            Confidential = plan.Confidential,
            WaitTimeMs = waitTimeMs,
            RequestId = header.RequestId,
            ChainId = plan.Chain,
            Step = plan.IsSequence ? null : 1,
            Topmost = plan.IsSequence ? true : null,
        };
        if (plan.IsSequence)
        {
            return (_activations.Start(start), null);
        }

        var (top, claimed) = _activations.StartStep(start, header.RequestId, plan.Chain, 1);
        return (top, claimed);
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

    private async Task<InvocationResult> RunGuardedAsync(InvocationPlan plan, EnvelopeMetadata header, InvocationRequest request,
        ActivationRecord top, bool? claimed, IDisposable lease, long? waitedMs, bool yieldFirst)
    {
        if (yieldFirst)
        {
            await Task.Yield();
        }

        using (lease)
        {
            try
            {
                if (waitedMs is { } waited)
                {
                    _activations.MarkStarted(top.ActivationId, waited);
                }

                return await RunAsync(plan, header, request, top, claimed).ConfigureAwait(false);
            }
            catch (ActionNotRunnableException e)
            {
                // A later step's definition is broken (found while passing a plaintext result on): the deployer's error.
                var message = $"the activation cannot run: {e.Message}";
                _activations.Complete(top.ActivationId, new ActivationOutcome { Status = ActivationStatus.DeveloperError, Error = message });
                return new InvocationResult { ActivationId = top.ActivationId, Status = ActivationStatus.DeveloperError, Error = message };
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
                        _activations.RecordStepFailure(header.RequestId, plan.Chain, step, message);
                    }
                }
                catch (Exception again) when (StorageFull.IsCause(again))
                {
                    // Not even the failure can be written: keep it until a write succeeds (the next invocation), or
                    // the next start, which ends every pending activation.
                    _unrecorded.Add(top.ActivationId, outcome, header.RequestId, plan.Chain, plan.Steps.Count);
                    full = true;
                }

                return new InvocationResult { ActivationId = top.ActivationId, Status = ActivationStatus.WhiskInternalError, Error = message, StorageFull = full };
            }
        }
    }
}
