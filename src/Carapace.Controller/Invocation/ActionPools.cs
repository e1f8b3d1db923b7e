using System.Collections.Concurrent;
using Carapace.Controller.Registry;
using Carapace.Worker.Pools;

namespace Carapace.Controller.Invocation;

/// <summary>
/// The worker's enclave pools, one per deployed action version: the first invocation of a version creates its
/// <see cref="FunctionPool"/> (enclaves specialised from the shared stem cells), an update of the action (or its deletion and
/// re-creation) retires the pool of the old deployment. How an action becomes a <see cref="FunctionDefinition"/>
/// (its manifest, KMS or provisioner) is the composition's decision, given as <c>define</c>.
/// </summary>
public sealed class ActionPools : IStepRunner, IAsyncDisposable
{
    private readonly StemCellPool _cells;
    private readonly StemCellPool? _javaScriptCells;
    private readonly Worker.Cache.ModuleCacheStore? _cache;
    private readonly Func<ActionRecord, FunctionDefinition> _define;
    private readonly ConcurrentDictionary<string, Entry> _pools = new(StringComparer.Ordinal);
    private bool _disposed;

    /// <summary>
    /// Creates the pools over <paramref name="cells"/> (WASI enclaves) and <paramref name="javaScriptCells"/> (JavaScript
    /// enclaves): a function is specialised only in a stem cell of its own kind. Without JavaScript cells a JavaScript
    /// action cannot run (<see cref="ActionNotRunnableException"/>).
    /// </summary>
    public ActionPools(StemCellPool cells, Func<ActionRecord, FunctionDefinition> define, Worker.Cache.ModuleCacheStore? cache = null, StemCellPool? javaScriptCells = null)
    {
        ArgumentNullException.ThrowIfNull(cells);
        ArgumentNullException.ThrowIfNull(define);
        _cells = cells;
        _javaScriptCells = javaScriptCells;
        _define = define;
        _cache = cache;
    }

    /// <summary>How many action versions currently have a pool.</summary>
    public int Count => _pools.Count;

    /// <summary>The pool of <paramref name="action"/>'s version, created on first use; an older version's pool is retired.</summary>
    public FunctionPool For(ActionRecord action)
    {
        ArgumentNullException.ThrowIfNull(action);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var key = action.Name.Path;
        var cells = CellsFor(action);
        while (true)
        {
            var stamp = StampOf(action);
            var entry = _pools.GetOrAdd(key, _ => new Entry(stamp, new Lazy<FunctionPool>(() => new FunctionPool(cells, _define(action), _cache))));
            if (entry.Stamp == stamp)
            {
                return entry.Pool.Value;
            }

            if (_pools.TryUpdate(key, new Entry(stamp, new Lazy<FunctionPool>(() => new FunctionPool(cells, _define(action), _cache))), entry))
            {
                Retire(entry);
            }
        }
    }

    /// <inheritdoc/>
    public Task<InvocationOutcome> RunAsync(ActionRecord action, ReadOnlyMemory<byte> sealedInput, bool freshEnclave, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(action);
        if (freshEnclave)
        {
            Retire(action.Name);
        }

        return For(action).InvokeAsync(sealedInput, cancellationToken);
    }

    /// <summary>
    /// Retires the pool of <paramref name="action"/> (idle enclaves zero their memory and exit; busy ones exit when
    /// their invocation ends), so the next invocation specialises fresh enclaves — e.g. after the KMS policy changed.
    /// </summary>
    public void Retire(ActionName action)
    {
        if (_pools.TryRemove(action.Path, out var entry))
        {
            Retire(entry);
        }
    }

    /// <summary>The stem cells of <paramref name="action"/>'s kind.</summary>
    private StemCellPool CellsFor(ActionRecord action) => !action.Exec.IsJavaScript ? _cells
        : _javaScriptCells ?? throw new ActionNotRunnableException(
            $"The action {action.Name} is JavaScript ({action.Exec.Kind}), and this worker has no JavaScript enclave (enclave/Carapace.Enclave.Js).");

    /// <summary>Shuts every pool down.</summary>
    public async ValueTask DisposeAsync()
    {
        _disposed = true;
        foreach (var key in _pools.Keys.ToList())
        {
            if (_pools.TryRemove(key, out var entry) && entry.Pool.IsValueCreated)
            {
                await entry.Pool.Value.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private static void Retire(Entry entry)
    {
        if (entry.Pool.IsValueCreated)
        {
            _ = entry.Pool.Value.DisposeAsync().AsTask();
        }
    }

    /// <summary>
    /// What identifies one deployment of an action: its version and when it was stored, so that an action deleted and
    /// created again (whose version starts over) never reuses the enclaves of the old code.
    /// </summary>
    private static string StampOf(ActionRecord action) => $"{action.Version}@{action.Updated.UtcTicks}";

    private sealed record Entry(string Stamp, Lazy<FunctionPool> Pool);
}
