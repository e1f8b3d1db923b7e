using System.Security.Cryptography;
using Carapace.Enclave.Host;
using Carapace.Enclave.Runtime;
using Carapace.Enclave.Wasi;
using Carapace.Functions;
using Carapace.Protocol;
using Wasmtime;

namespace Carapace.Enclave.Wasm;

/// <summary>
/// Wasmtime with Carapace's WASI preview 1: one engine without fuel (made at start) and, on demand, one with fuel,
/// each with its module cache (artifacts authenticated with a key only enclaves of this runtime on this platform can
/// derive) and its epoch ticking for wall-clock limits.
/// </summary>
internal sealed class WasmEngine : IFunctionEngine
{
    private readonly SimulatedPlatform _platform;
    private readonly byte[] _runtimeIdentity;
    private readonly EpochTicker _ticker = new();
    private readonly Dictionary<bool, (Engine Engine, Linker Linker, ModuleCache Cache)> _engines = [];

    public WasmEngine(SimulatedPlatform platform, byte[] runtimeIdentity, Engine engine, Linker linker)
    {
        _platform = platform;
        _runtimeIdentity = runtimeIdentity;
        AddEngine(fuel: false, engine, linker);
    }

    public EnclaveRuntime Runtime => EnclaveRuntime.Wasi;

    public string SealedCodePath => SealedCode.PathInImage;

    public ReadOnlySpan<byte> WarmupCode => Warmup.EchoModule;

    public static (Engine Engine, Linker Linker) NewEngine(bool fuel)
    {
        var engine = EngineSettings.CreateEngine(fuel);
        var linker = new Linker(engine);
        WasiPreview1.Define(linker);
        return (engine, linker);
    }

    public (IFunctionCode Code, byte[] NewArtifact) Load(FunctionManifest manifest, SpecializeMessage request, byte[] codeHash)
    {
        var (engine, linker, cache) = EngineFor(manifest.Fuel > 0);
        var (module, artifact) = LoadModule(engine, cache, request, codeHash);
        try
        {
            CheckImports(module);
            return (new WasmCode(engine, linker, module), artifact);
        }
        catch
        {
            module.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Compiles a sealed module. No compiled form of it leaves the enclave (the host caches only the public stub).
    /// </summary>
    public IFunctionCode LoadSealed(FunctionManifest manifest, ReadOnlySpan<byte> code)
    {
        var (engine, linker, _) = EngineFor(manifest.Fuel > 0);
        Module module;
        try
        {
            module = Module.FromBytes(engine, "function", code);
        }
        catch (WasmtimeException e)
        {
            throw new SpecializationException("the sealed module is not valid WebAssembly for this runtime: " + e.Message.Split('\n')[0]);
        }

        try
        {
            CheckImports(module);
            return new WasmCode(engine, linker, module);
        }
        catch
        {
            module.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        _ticker.Dispose();
        foreach (var (engine, linker, cache) in _engines.Values)
        {
            cache.Dispose();
            linker.Dispose();
            engine.Dispose();
        }
    }

    private (Engine Engine, Linker Linker, ModuleCache Cache) EngineFor(bool fuel)
    {
        if (!_engines.TryGetValue(fuel, out var entry))
        {
            var (engine, linker) = NewEngine(fuel);
            entry = AddEngine(fuel, engine, linker);
        }

        return entry;
    }

    private (Engine Engine, Linker Linker, ModuleCache Cache) AddEngine(bool fuel, Engine engine, Linker linker)
    {
        var cache = new ModuleCache(_platform.DeriveSealingKey("module cache", _runtimeIdentity), _runtimeIdentity, EngineSettings.CacheDescription(fuel));
        _ticker.Add(engine);
        var entry = (engine, linker, cache);
        _engines[fuel] = entry;
        return entry;
    }

    private static (Module Module, byte[] NewArtifact) LoadModule(Engine engine, ModuleCache cache, SpecializeMessage request, byte[] moduleHash)
    {
        try
        {
            if (!request.CachedArtifact.IsEmpty)
            {
                if (!cache.TryUnwrap(request.CachedArtifact, moduleHash, out var serialized, out var problem))
                {
                    throw new SpecializationException(problem, FailureReason.CachedArtifact);
                }

                try
                {
                    return (Module.Deserialize(engine, "function", serialized.Span), []);
                }
                catch (WasmtimeException e)
                {
                    throw new SpecializationException("the cached artifact does not load in this runtime: " + e.Message.Split('\n')[0], FailureReason.CachedArtifact);
                }
            }

            if (!CryptographicOperations.FixedTimeEquals(SHA256.HashData(request.Module.Span), moduleHash))
            {
                throw new SpecializationException("the module does not match the provisioned module hash (the host sent other code)");
            }

            var module = Module.FromBytes(engine, "function", request.Module.Span);
            return (module, cache.Wrap(moduleHash, module.Serialize()));
        }
        catch (WasmtimeException e)
        {
            throw new SpecializationException("the module is not valid WebAssembly for this runtime: " + e.Message.Split('\n')[0]);
        }
    }

    private static void CheckImports(Module module)
    {
        foreach (var import in module.Imports)
        {
            if (import.ModuleName != "wasi_snapshot_preview1")
            {
                throw new SpecializationException($"the module imports '{import.Name}' from '{import.ModuleName}'; Carapace provides only wasi_snapshot_preview1");
            }
        }
    }
}
