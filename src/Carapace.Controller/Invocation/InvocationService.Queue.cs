using Carapace.Controller.Activations;
using Carapace.Controller.Scheduling;
using Carapace.Envelope.Format;

namespace Carapace.Controller.Invocation;

/// <summary>Non-blocking invocations: recorded at once, then waiting in the admission queue for a slot.</summary>
public sealed partial class InvocationService
{
    /// <summary>
    /// A non-blocking invocation: checks the request, takes a place in the admission queue and records the pending
    /// activation, and returns as soon as it is recorded; the queue, not the caller, waits for a slot. Should the
    /// service stop before the activation runs, it is recorded as failed (nothing ran; its request id is not used up).
    /// </summary>
    /// <param name="request">The invocation.</param>
    /// <param name="cancellationToken">Cancels resolving the action; once recorded, the invocation no longer depends on the caller.</param>
    /// <exception cref="InvocationRejectedException">The action does not exist, or the envelope is malformed or misaddressed.</exception>
    /// <exception cref="QueueFullException">The namespace has no free slot and the queue is full; nothing was recorded.</exception>
    public PendingInvocation Enqueue(InvocationRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ObjectDisposedException.ThrowIf(_shutdown.IsCancellationRequested, this);
        _unrecorded.Flush();
        var (plan, header) = Prepare(request, cancellationToken);
        var queued = _time.GetTimestamp();
        var waiting = CancellationTokenSource.CreateLinkedTokenSource(_shutdown.Token);
        ValueTask<AdmissionLease> admission;
        try
        {
            admission = _admission.EnterAsync(request.Action.Namespace, request.SealedInput.Length, waiting.Token);
        }
        catch
        {
            waiting.Dispose();
            throw;
        }

        var admittedAtOnce = admission.IsCompletedSuccessfully;
        ActivationRecord top;
        bool? claimed;
        try
        {
            (top, claimed) = Record(plan, header, request, waitTimeMs: 0);
        }
        catch
        {
            // Nothing was recorded: give the place (or the slot) back.
            waiting.Cancel();
            _ = DiscardAsync(admission, waiting);
            throw;
        }

        var run = RunQueuedAsync(plan, header, request, top, claimed, admission, waiting, admittedAtOnce ? null : queued);
        Track(run);
        return new PendingInvocation(top.ActivationId, run);
    }

    /// <summary>Waits in the queue for a slot, then runs; a queued invocation the service stops first is recorded as not run.</summary>
    private async Task<InvocationResult> RunQueuedAsync(InvocationPlan plan, EnvelopeMetadata header, InvocationRequest request,
        ActivationRecord top, bool? claimed, ValueTask<AdmissionLease> admission, CancellationTokenSource waiting, long? queuedAt)
    {
        AdmissionLease lease;
        try
        {
            lease = await admission.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return NotRun(plan, header, top, claimed);
        }
        finally
        {
            waiting.Dispose();
        }

        if (_shutdown.IsCancellationRequested)
        {
            // Handed a slot freed by the shutdown itself: it must not start now.
            lease.Dispose();
            return NotRun(plan, header, top, claimed);
        }

        long? waitedMs = queuedAt is { } at ? (long)_time.GetElapsedTime(at).TotalMilliseconds : null;
        // A slot given at once completes the admission synchronously: leave the enqueuing caller before running.
        return await RunGuardedAsync(plan, header, request, top, claimed, lease, waitedMs, yieldFirst: true).ConfigureAwait(false);
    }

    /// <summary>Records a queued activation that never ran; a single action's step claim is withdrawn (nothing reached an enclave).</summary>
    private InvocationResult NotRun(InvocationPlan plan, EnvelopeMetadata header, ActivationRecord top, bool? claimed)
    {
        var outcome = new ActivationOutcome { Status = ActivationStatus.WhiskInternalError, Error = StoppedBeforeRun };
        try
        {
            if (claimed is true)
            {
                _activations.ReleaseStep(top.ActivationId, outcome, header.RequestId, plan.Chain, 1);
            }
            else
            {
                _activations.Complete(top.ActivationId, outcome);
            }
        }
        catch (Exception e) when (e is System.Data.Common.DbException or Storage.StoreUnavailableException)
        {
            // The store is closing: the activation stays pending and the next start records it as abandoned.
        }

        return new InvocationResult { ActivationId = top.ActivationId, Status = ActivationStatus.WhiskInternalError, Error = StoppedBeforeRun };
    }

    private static async Task DiscardAsync(ValueTask<AdmissionLease> admission, CancellationTokenSource waiting)
    {
        try
        {
            (await admission.ConfigureAwait(false)).Dispose();
        }
        catch (OperationCanceledException)
        {
            // Left the queue before it was admitted.
        }
        finally
        {
            waiting.Dispose();
        }
    }
}
