using Carapace.Enclave.Host;
using Carapace.Enclave.Runtime;
using Carapace.Functions;
using Wasmtime;

namespace Carapace.Enclave.Wasm;

/// <summary>The WASI enclave (<c>Carapace.Enclave</c>): Wasmtime, loaded on a thread of its own at start.</summary>
internal sealed class WasmFlavor : EnclaveFlavor
{
    private Task<(Engine Engine, Linker Linker)>? _prepared;

    public override EnclaveRuntime Runtime => EnclaveRuntime.Wasi;

    public override IReadOnlyList<string> JitFiles(string directory) =>
        [Path.Combine(directory, "Carapace.Enclave.dll"), Path.Combine(directory, "runtimes", "linux-x64", "native", RuntimeIdentity.WasmtimeLibrary)];

    /// <summary>
    /// Makes the engine and linker for functions without fuel (the usual case) on a thread of its own: loading
    /// libwasmtime.so and defining the WASI imports is a good part of a cell's start, and needs nothing else.
    /// </summary>
    public override void Prepare() =>
        _prepared = Task.Factory.StartNew(() => WasmEngine.NewEngine(fuel: false), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    public override IFunctionEngine CreateEngine(SimulatedPlatform platform, byte[] runtimeIdentity)
    {
        var (engine, linker) = (_prepared ?? throw new InvalidOperationException("Prepare first")).GetAwaiter().GetResult();
        return new WasmEngine(platform, runtimeIdentity, engine, linker);
    }
}
