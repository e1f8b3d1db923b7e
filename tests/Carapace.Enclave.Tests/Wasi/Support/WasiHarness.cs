using System.Collections.Concurrent;
using System.Runtime.Versioning;
using Carapace.Enclave.Wasi;
using Wasmtime;

namespace Carapace.Enclave.Tests.Wasi.Support;

/// <summary>Runs wasm32-wasi modules in-process with Wasmtime and Carapace's WASI.</summary>
[SupportedOSPlatform("linux")]
internal static class WasiHarness
{
    private static readonly ConcurrentDictionary<string, Lazy<Module>> _programs = new();

    /// <summary>One engine for all tests (plain settings: no epoch interruption, no fuel).</summary>
    public static Engine Engine { get; } = new();

    /// <summary>The compiled module of test program <c>Programs/NAME.c</c>.</summary>
    public static Module Program(string name) =>
        _programs.GetOrAdd(name, n => new Lazy<Module>(() => Module.FromFile(Engine, WasiPrograms.ModulePath(n)))).Value;

    /// <summary>Runs <c>_start</c> of <paramref name="module"/> with a new context; proc_exit ends it normally, a trap is returned in <see cref="WasiRun.Trap"/>.</summary>
    public static WasiRun Run(Module module, WasiOptions options)
    {
        var context = new WasiContext(options);
        Exception? trap = null;
        using (var linker = new Linker(Engine))
        using (var store = new Store(Engine, context))
        {
            WasiPreview1.Define(linker);
            var instance = linker.Instantiate(store, module);
            var start = instance.GetAction("_start") ?? throw new InvalidOperationException("the module has no _start");
            try
            {
                start();
            }
            catch (WasmtimeException e) when (e.InnerException is WasiExitException)
            {
            }
            catch (WasmtimeException e)
            {
                trap = e;
            }
        }

        return new WasiRun(context, trap);
    }

    /// <summary>Runs test program <paramref name="name"/> with argv = [name, ..args] and the given options (Args replaced).</summary>
    public static WasiRun Run(string name, WasiOptions options, params string[] args) =>
        Run(Program(name), new WasiOptions
        {
            Args = [name, .. args],
            Environment = options.Environment,
            Stdin = options.Stdin,
            MaxStdoutBytes = options.MaxStdoutBytes,
            MaxStderrBytes = options.MaxStderrBytes,
            Preopens = options.Preopens,
            Clock = options.Clock,
            TimeProvider = options.TimeProvider,
            Deadline = options.Deadline,
            MaxOpenFiles = options.MaxOpenFiles,
        });

    /// <summary>Runs test program <paramref name="name"/> with default options.</summary>
    public static WasiRun Run(string name, params string[] args) => Run(name, new WasiOptions(), args);
}
