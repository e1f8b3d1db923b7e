namespace Carapace.Controller.Activations;

/// <summary>The background loop of <see cref="ActivationStore.StartRetention"/>: one pass at start, then one per interval.</summary>
internal sealed class ActivationPruner(ActivationStore store, ActivationRetention retention, TimeProvider time, Action<int>? pruned,
    Action<Exception>? failed) : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private Task _loop = Task.CompletedTask;

    public void Start() => _loop = Task.Run(LoopAsync);

    public void Dispose()
    {
        _stop.Cancel();
        try
        {
            // A pass stops between batches; a batch is short.
            _loop.Wait(TimeSpan.FromSeconds(30));
        }
        catch (AggregateException)
        {
            // The loop ends by cancellation; nothing else escapes it.
        }

        _stop.Dispose();
    }

    private async Task LoopAsync()
    {
        using var timer = new PeriodicTimer(retention.Interval, time);
        do
        {
            try
            {
                var count = store.Prune(retention, _stop.Token);
                if (count > 0)
                {
                    pruned?.Invoke(count);
                }
            }
            catch (Exception e) when (e is System.Data.Common.DbException or Carapace.Controller.Storage.StoreUnavailableException or IOException or InvalidOperationException or ObjectDisposedException)
            {
                if (_stop.IsCancellationRequested)
                {
                    return;
                }

                failed?.Invoke(e);
            }
        }
        while (await WaitAsync(timer).ConfigureAwait(false));
    }

    private async Task<bool> WaitAsync(PeriodicTimer timer)
    {
        try
        {
            return await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
