using System.Collections.Concurrent;
using Carapace.Worker.Enclaves;

namespace Carapace.Worker.Pools;

/// <summary>
/// Prewarmed enclave processes with no function yet ("stem cells", the Clemmys answer to slow enclave creation):
/// the runtime is loaded and the engine ready, so specialising one costs a module load instead of a process start.
/// Taking a cell triggers a background refill; when none is ready, a cell is started on the spot (a cold start).
/// </summary>
/// <remarks>
/// Starting an enclave process costs a few hundred milliseconds of CPU (runtime start, engine, warm-up). While other
/// cells are still ready, a refill waits <c>refillDelay</c> first, so it does not compete for the CPU with the
/// specialisation and first invocation of the cell that was just taken; once the pool runs dry it refills at once.
/// </remarks>
public sealed class StemCellPool : IAsyncDisposable
{
    private readonly EnclaveLaunchOptions _launch;
    private readonly ConcurrentQueue<EnclaveProcess> _ready = new();
    private readonly SemaphoreSlim _refill = new(0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _refiller;
    private readonly TimeSpan _refillDelay;
    private long _prewarmedTakes;
    private long _coldStarts;
    private long _startFailures;

    /// <summary>Creates the pool and starts filling it in the background.</summary>
    /// <param name="launch">How to start enclave processes.</param>
    /// <param name="size">How many cells to keep ready.</param>
    /// <param name="refillDelay">How long a refill waits while other cells are still ready (default 250 ms).</param>
    public StemCellPool(EnclaveLaunchOptions launch, int size, TimeSpan? refillDelay = null)
    {
        ArgumentNullException.ThrowIfNull(launch);
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        launch.Validate();
        _launch = launch;
        Size = size;
        _refillDelay = refillDelay ?? TimeSpan.FromMilliseconds(250);
        ArgumentOutOfRangeException.ThrowIfLessThan(_refillDelay, TimeSpan.Zero, nameof(refillDelay));
        _refiller = Task.Run(RefillLoopAsync);
        _refill.Release();
    }

    /// <summary>How many cells the pool keeps ready.</summary>
    public int Size { get; }

    /// <summary>Cells ready now.</summary>
    public int ReadyCount => _ready.Count;

    /// <summary>Takes served by a prewarmed cell.</summary>
    public long PrewarmedTakes => Interlocked.Read(ref _prewarmedTakes);

    /// <summary>Takes that had to start a process.</summary>
    public long ColdStarts => Interlocked.Read(ref _coldStarts);

    /// <summary>Background starts that failed.</summary>
    public long StartFailures => Interlocked.Read(ref _startFailures);

    /// <summary>Waits until <see cref="Size"/> cells are ready (or <paramref name="timeout"/> passes).</summary>
    public async Task<bool> WaitUntilFullAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (_ready.Count < Size)
        {
            if (DateTime.UtcNow > deadline)
            {
                return false;
            }

            await Task.Delay(10, cancellationToken).ConfigureAwait(false);
        }

        return true;
    }

    /// <summary>Takes a ready cell, or starts one when none is ready.</summary>
    /// <returns>The cell, and whether it was prewarmed.</returns>
    public async Task<(EnclaveProcess Cell, bool Prewarmed)> TakeAsync(CancellationToken cancellationToken = default)
    {
        while (_ready.TryDequeue(out var cell))
        {
            _refill.Release();
            if (!cell.IsLost)
            {
                Interlocked.Increment(ref _prewarmedTakes);
                return (cell, true);
            }

            await cell.DisposeAsync().ConfigureAwait(false);
        }

        _refill.Release();
        Interlocked.Increment(ref _coldStarts);
        return (await EnclaveProcess.StartAsync(_launch, cancellationToken).ConfigureAwait(false), false);
    }

    /// <summary>Stops refilling and shuts every ready cell down.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _refiller.ConfigureAwait(false);
        while (_ready.TryDequeue(out var cell))
        {
            await cell.DisposeAsync().ConfigureAwait(false);
        }

        _stop.Dispose();
        _refill.Dispose();
    }

    private async Task RefillLoopAsync()
    {
        var token = _stop.Token;
        var failuresInARow = 0;
        while (!token.IsCancellationRequested)
        {
            try
            {
                await _refill.WaitAsync(token).ConfigureAwait(false);
                if (!_ready.IsEmpty && _refillDelay > TimeSpan.Zero)
                {
                    await Task.Delay(_refillDelay, token).ConfigureAwait(false);
                }

                while (_ready.Count < Size && !token.IsCancellationRequested)
                {
                    var cell = await EnclaveProcess.StartAsync(_launch, token).ConfigureAwait(false);
                    _ready.Enqueue(cell);
                    failuresInARow = 0;
                }
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                return;
            }
            catch (EnclaveException)
            {
                Interlocked.Increment(ref _startFailures);
                failuresInARow++;

                // Back off (bounded) so a broken enclave build does not spin; takes still start cells themselves.
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(5_000, 100 * failuresInARow)), CancellationToken.None).ConfigureAwait(false);
                _refill.Release();
            }
        }
    }
}
