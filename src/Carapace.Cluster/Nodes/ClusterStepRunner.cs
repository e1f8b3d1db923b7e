using Carapace.Cluster.Grains;
using Carapace.Controller.Invocation;
using Carapace.Controller.Registry;
using Carapace.Protocol;
using Carapace.Worker.Enclaves;
using Carapace.Worker.Pools;

namespace Carapace.Cluster.Nodes;

/// <summary>
/// A gateway node's <see cref="IStepRunner"/>: asks the action version's placement grain for a worker node and runs the
/// step on that node's grain. The claim was taken before (at most once per request id), so nothing is retried here: a
/// worker lost during the call is the step's recorded failure, naming the node.
/// </summary>
internal sealed class ClusterStepRunner(IGrainFactory grains, Func<string> edge, Func<string, string> nodeName) : IStepRunner
{
    /// <inheritdoc/>
    public async Task<InvocationOutcome> RunAsync(ActionRecord action, ReadOnlyMemory<byte> sealedInput, bool freshEnclave, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(action);
        var placement = grains.GetGrain<IPlacementGrain>(ActionVersions.KeyOf(action));
        var worker = await PlaceAsync(placement, cancellationToken).ConfigureAwait(false)
            ?? throw new EnclaveException("no worker node is up in the cluster; nothing ran", enclaveLost: false);
        var call = new StepCall
        {
            Action = action.Name.ToString(),
            Version = action.Version,
            UpdatedTicks = action.Updated.UtcTicks,
            SealedInput = sealedInput.ToArray(),
            FreshEnclave = freshEnclave,
            Edge = action.Confidential ? null : edge(),
        };
        StepReply reply;
        try
        {
            reply = await grains.GetGrain<INodeGrain>(worker).Run(call).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // The node died, hung past the response timeout, or left the cluster: whatever it ran is lost with it.
            placement.Finished(worker, warm: false).Ignore();
            throw new EnclaveException($"the worker node {nodeName(worker)} ({worker}) was lost during the step: {e.GetType().Name}", enclaveLost: true, e);
        }

        placement.Finished(worker, warm: reply.Failure is null).Ignore();
        return reply.Failure switch
        {
            null => new InvocationOutcome(ResultMessage.Decode(reply.Result), reply.ColdStart, reply.SpecializeMicroseconds, reply.Prewarmed, reply.EnclaveProcessId),
            StepFailure.KmsUnavailable => throw new KmsUnavailableException(reply.Message ?? "the KMS is unavailable", TimeSpan.FromMilliseconds(Math.Max(1, reply.RetryAfterMs))),
            StepFailure.NotRunnable => throw new ActionNotRunnableException(reply.Message ?? "the action cannot run"),
            StepFailure.EnclaveLost => throw new EnclaveException(reply.Message ?? "the enclave was lost", enclaveLost: true, reason: reply.Reason),
            StepFailure.Stopping => throw new EnclaveException(reply.Message ?? "the worker node is stopping", enclaveLost: true),
            _ => throw new EnclaveException(reply.Message ?? "the enclave refused the step", enclaveLost: false, reason: reply.Reason),
        };
    }

    /// <summary>How often placement is asked before the step fails, and how long apart.</summary>
    private const int PlaceAttempts = 5;

    private static readonly TimeSpan PlaceRetryDelay = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Asks for a worker; a placement grain that cannot be reached (its node was just lost, and Orleans activates it
    /// elsewhere once the node is declared dead) is asked again, a bounded number of times: nothing has run yet.
    /// </summary>
    private static async Task<string?> PlaceAsync(IPlacementGrain placement, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await placement.Place([]).WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException && attempt < PlaceAttempts)
            {
                await Task.Delay(PlaceRetryDelay, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                throw new EnclaveException($"no worker could be chosen: the step's placement was unreachable ({e.GetType().Name}); nothing ran", enclaveLost: false, e);
            }
        }
    }
}
