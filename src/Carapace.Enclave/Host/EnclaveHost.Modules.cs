using System.Security.Cryptography;
using Carapace.Enclave.Runtime;
using Carapace.Enclave.Wasi;
using Carapace.Functions;
using Carapace.Protocol;
using Wasmtime;

namespace Carapace.Enclave.Host;

/// <summary>The engines (with and without fuel) and loading a function's module: compiled, or from an authenticated cached artifact.</summary>
internal sealed partial class EnclaveHost
{
    private (Engine Engine, Linker Linker, ModuleCache Cache) EngineFor(bool fuel)
    {
        if (!_engines.TryGetValue(fuel, out var entry))
        {
            var (engine, linker) = NewEngine(fuel);
            entry = AddEngine(fuel, engine, linker);
        }

        return entry;
    }

    private static (Engine Engine, Linker Linker) NewEngine(bool fuel)
    {
        var engine = EngineSettings.CreateEngine(fuel);
        var linker = new Linker(engine);
        WasiPreview1.Define(linker);
        return (engine, linker);
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
