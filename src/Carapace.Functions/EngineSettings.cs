using Carapace.Functions.Modules;
using Wasmtime;

namespace Carapace.Functions;

/// <summary>
/// The one place that configures Wasmtime engines: Cranelift at speed, epoch interruption (wall-clock limits), the
/// pooling instance allocator sized for one instance at a time — the first 4 MiB of a slot's linear memory stay
/// resident and are reset with memset when the instance goes, the rest is decommitted (so the enclave's own
/// explicit zeroing after each invocation touches resident pages instead of faulting fresh ones in) — and
/// fuel metering only in the engine for functions that ask for a fuel budget. The per-instance limits (memories, tables,
/// table elements) are <see cref="CommandModule"/>'s, which deployed modules are validated against; they are Wasmtime's
/// defaults, set here explicitly so the two cannot drift apart. The description goes into the runtime
/// identity and the module-cache key, so a change of settings changes both.
/// </summary>
public static class EngineSettings
{
    /// <summary>Largest linear memory any function can get.</summary>
    public const long MaxMemoryBytes = 4L << 30;

    /// <summary>Linear memory kept resident (and memset on reset) per pool slot.</summary>
    public const int KeepResidentBytes = 4 << 20;

    /// <summary>A canonical description of the settings below.</summary>
    public const string Description =
        "cranelift=speed;epoch-interruption;pooling(instances=4,memories=4,tables=4,per-module(memories=1,tables=1,table-elements=20000),max-memory=4GiB,keep-resident=4MiB,warm-slots=1);fuel=on-demand";

    /// <summary>Creates an engine; <paramref name="fuel"/> turns fuel metering on.</summary>
    public static Engine CreateEngine(bool fuel)
    {
        using var pooling = new PoolingAllocationConfig()
            .WithMaxCoreInstances(4)
            .WithMaxMemories(4)
            .WithMaxTables(4)
            .WithMaxMemoriesPerModule((uint)CommandModule.MaxMemories)
            .WithMaxTablesPerModule((uint)CommandModule.MaxTables)
            .WithMaxTableElements((nuint)CommandModule.MaxTableElements)
            .WithMaxMemorySize(unchecked((nuint)MaxMemoryBytes)) // 64-bit hosts only
            .WithLinearMemoryKeepResidentBytes(KeepResidentBytes)
            .WithMaxUnusedWarmSlots(1);
        using var config = new Config()
            .WithOptimizationLevel(OptimizationLevel.Speed)
            .WithEpochInterruption(true)
            .WithFuelConsumption(fuel)
            .WithPoolingAllocationStrategy(pooling);
        return new Engine(config);
    }

    /// <summary>Engine settings as they go into a cache key.</summary>
    public static string CacheDescription(bool fuel) => Description + (fuel ? ";engine=fuel" : ";engine=plain");
}
