using Wasmtime;

namespace Carapace.Enclave.Wasm;

/// <summary>Advances the epoch of the enclave's engines every <see cref="TickMilliseconds"/>, which is how wall-clock limits interrupt guests.</summary>
internal sealed class EpochTicker : IDisposable
{
    public const long TickMilliseconds = 10;
    private readonly Timer _timer;
    private readonly List<Engine> _engines = [];
    private readonly Lock _lock = new();

    public EpochTicker() => _timer = new Timer(_ => Tick(), null, TickMilliseconds, TickMilliseconds);

    public void Add(Engine engine)
    {
        lock (_lock)
        {
            _engines.Add(engine);
        }
    }

    public void Dispose() => _timer.Dispose();

    private void Tick()
    {
        lock (_lock)
        {
            foreach (var engine in _engines)
            {
                engine.IncrementEpoch();
            }
        }
    }
}
