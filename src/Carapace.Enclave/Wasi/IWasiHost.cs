namespace Carapace.Enclave.Wasi;

/// <summary>
/// Store data that carries a <see cref="WasiContext"/>. The functions <see cref="WasiPreview1.Define"/> defines find
/// their context through <c>Caller.GetData()</c>: the store's data must be either a <see cref="WasiContext"/> itself or
/// an object implementing this interface (for embedders that keep more per-invocation state in the store).
/// </summary>
public interface IWasiHost
{
    /// <summary>The invocation's WASI state.</summary>
    WasiContext Wasi { get; }
}
