using System.Collections.Concurrent;
using Carapace.Cluster.Grains;
using Carapace.Controller.Invocation;
using Carapace.Controller.Registry;
using Carapace.Gateway;
using Carapace.Platform;
using Carapace.Protocol;
using Carapace.Worker.Cache;
using Carapace.Worker.Enclaves;
using Carapace.Worker.Pools;

namespace Carapace.Cluster.Nodes;

/// <summary>
/// A worker node's enclaves: the stem cells, one set of pools for confidential actions (whose enclaves attest to the
/// KMS) and one per gateway node for plaintext actions (whose enclaves that gateway's trusted edge provisions, through
/// its node grain, with sealed provisioning only). Runs the steps <see cref="INodeGrain.Run"/> receives.
/// </summary>
internal sealed class WorkerPools : IAsyncDisposable
{
    private readonly StemCellPool _cells;
    private readonly ModuleCacheStore _cache;
    private readonly ImageFiles _images;
    private readonly ActionRegistry _registry;
    private readonly ClusterNodeOptions _options;
    private readonly Func<string, INodeGrain> _node;
    private readonly ActionPools _confidential;
    private readonly ConcurrentDictionary<string, ActionPools> _plaintext = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();
    private int _running;

    public WorkerPools(StemCellPool cells, ActionRegistry registry, ClusterNodeOptions options, string dataDirectory, Func<string, INodeGrain> node)
    {
        _cells = cells;
        _registry = registry;
        _options = options;
        _node = node;
        _cache = new ModuleCacheStore(Path.Combine(dataDirectory, "cache", "modules"));
        _images = new ImageFiles(ImageFiles.DirectoryIn(dataDirectory));
        _confidential = new ActionPools(cells, action => Define(action, null), _cache);
    }

    /// <summary>Steps running now.</summary>
    public int Running => Volatile.Read(ref _running);

    /// <summary>Action versions with a pool here.</summary>
    public int Pools => _confidential.Count + _plaintext.Values.Sum(p => p.Count);

    /// <summary>The stem cells (for status).</summary>
    public StemCellPool Cells => _cells;

    /// <summary>Runs <paramref name="call"/> on an enclave of its action; every failure is a reply, never an exception.</summary>
    public async Task<StepReply> RunAsync(StepCall call)
    {
        if (_stopping.IsCancellationRequested)
        {
            return new StepReply { Failure = StepFailure.Stopping, Message = "the worker node is stopping; nothing ran" };
        }

        var (action, problem) = ActionVersions.Find(_registry, call.Action, call.Version, call.UpdatedTicks);
        if (action is null)
        {
            return new StepReply { Failure = StepFailure.NotRunnable, Message = problem };
        }

        if (action.Confidential != (call.Edge is null))
        {
            return new StepReply { Failure = StepFailure.NotRunnable, Message = $"the action {action.Name} is {(action.Confidential ? "" : "not ")}confidential, and the step said otherwise; nothing ran" };
        }

        var pools = call.Edge is { } edge ? _plaintext.GetOrAdd(edge, e => new ActionPools(_cells, a => Define(a, e), _cache)) : _confidential;
        Interlocked.Increment(ref _running);
        try
        {
            var outcome = await pools.RunAsync(action, call.SealedInput, call.FreshEnclave, _stopping.Token).ConfigureAwait(false);
            return new StepReply
            {
                Result = outcome.Result.Encode(),
                ColdStart = outcome.ColdStart,
                SpecializeMicroseconds = outcome.SpecializeMicroseconds,
                Prewarmed = outcome.Prewarmed,
                EnclaveProcessId = outcome.EnclaveProcessId,
            };
        }
        catch (EnclaveException e)
        {
            return new StepReply { Failure = e.EnclaveLost ? StepFailure.EnclaveLost : StepFailure.EnclaveRefused, Message = e.Message, Reason = e.Reason };
        }
        catch (KmsUnavailableException e)
        {
            return new StepReply { Failure = StepFailure.KmsUnavailable, Message = e.Message, RetryAfterMs = (long)e.RetryAfter.TotalMilliseconds };
        }
        catch (ActionNotRunnableException e)
        {
            return new StepReply { Failure = StepFailure.NotRunnable, Message = e.Message };
        }
        catch (OperationCanceledException)
        {
            return new StepReply { Failure = StepFailure.Stopping, Message = "the worker node stopped during the step" };
        }
        finally
        {
            Interlocked.Decrement(ref _running);
        }
    }

    /// <summary>Stops taking steps, interrupts running ones, and shuts every enclave down.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _confidential.DisposeAsync().ConfigureAwait(false);
        foreach (var pools in _plaintext.Values)
        {
            await pools.DisposeAsync().ConfigureAwait(false);
        }

        _stopping.Dispose();
    }

    private FunctionDefinition Define(ActionRecord action, string? edge)
    {
        var module = action.Exec.ModuleSha256 is { } sha && _registry.GetModule(sha) is { } bytes
            ? bytes
            : throw new ActionNotRunnableException($"the module of {action.Name} is missing from the registry");
        var image = action.Exec.Image is { } reference ? _images.PathOf(reference, _registry.GetImage) : null;
        Func<ReadyMessage, CancellationToken, Task<IProvisioningSession>>? provision = null;
        if (edge is not null)
        {
            var gateway = _node(edge);
            provision = async (ready, cancellationToken) =>
            {
                var reply = await gateway.Provision(action.Name.ToString(), action.Version, action.Updated.UtcTicks, ready.Encode())
                    .WaitAsync(ProvisionTimeout, cancellationToken).ConfigureAwait(false);
                return new RemoteProvisioningSession(gateway, reply);
            };
        }

        return PlatformHost.Define(action, module, image, _options.Kms.Url, locator: null, provision, _options.MaxEnclavesPerAction,
            _options.MaxInvocationsPerEnclave);
    }

    /// <summary>How long a gateway node may take to provision or confirm one enclave.</summary>
    internal static readonly TimeSpan ProvisionTimeout = TimeSpan.FromSeconds(30);

    /// <summary>A plaintext enclave's provisioning, made by a gateway node; its confirmation is checked there too.</summary>
    private sealed class RemoteProvisioningSession(INodeGrain gateway, ProvisionReply reply) : IProvisioningSession
    {
        public ReadOnlyMemory<byte> PublicKey => reply.PublicKey;

        public ReadOnlyMemory<byte> SealedProvisioning => reply.SealedProvisioning;

        // The pool asks synchronously, off any grain's scheduler (the node grain runs steps on the thread pool).
        public bool Confirms(SpecializedMessage specialized) =>
            gateway.Confirm(reply.Session, specialized.Encode()).WaitAsync(ProvisionTimeout).GetAwaiter().GetResult();

        public void Dispose()
        {
        }
    }
}
