using System.Runtime.Versioning;
using BenchmarkDotNet.Attributes;
using Carapace.Enclave.Wasi;
using Wasmtime;

namespace Carapace.Benchmarks.Wasi;

/// <summary>
/// The host-call rate of WASI: a guest calls <c>fd_write(1, iovec{"x", 1})</c> 100,000 times (each result checked),
/// under Carapace's WASI (stdout collected in enclave memory) and under Wasmtime's built-in WASI
/// (<c>Linker.DefineWasi()</c>, stdout to a file in the temp directory). Times are per call
/// (<c>OperationsPerInvoke</c>); every invocation is a fresh store and instance, as in production, its cost spread over
/// the 100,000 calls. Target: Carapace's WASI reaches at least 0.9× the built-in call rate (Ratio ≤ 1.11).
/// <c>EmptyHostFunction</c> is the floor: a host <c>fd_write</c> that only returns 0.
/// </summary>
[MemoryDiagnoser]
[SupportedOSPlatform("linux")]
public class HostCallBenchmarks
{
    private const int Calls = 100_000;

    private const string Guest = """
        (module
          (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
          (memory (export "memory") 1)
          (data (i32.const 0) "\64\00\00\00\01\00\00\00")
          (data (i32.const 100) "x")
          (func (export "run") (param $n i32)
            (loop $again
              (if (i32.ne (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)) (i32.const 0))
                (then unreachable))
              (local.set $n (i32.sub (local.get $n) (i32.const 1)))
              (br_if $again (i32.gt_s (local.get $n) (i32.const 0))))))
        """;

    private Engine _engine = null!;
    private Module _module = null!;
    private Linker _carapace = null!;
    private Linker _builtIn = null!;
    private Linker _empty = null!;
    private string _stdoutPath = null!;

    [GlobalSetup]
    public void Setup()
    {
        _engine = new Engine();
        _module = Module.FromText(_engine, "hostcall", Guest);
        _carapace = new Linker(_engine);
        WasiPreview1.Define(_carapace);
        _builtIn = new Linker(_engine);
        _builtIn.DefineWasi();
        _empty = new Linker(_engine);
        _empty.DefineFunction("wasi_snapshot_preview1", "fd_write", static (Caller caller, int fd, int iovs, int count, int result) => 0);
        _stdoutPath = Path.Combine(Path.GetTempPath(), "carapace-hostcall-" + Guid.NewGuid().ToString("N") + ".out");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _carapace.Dispose();
        _builtIn.Dispose();
        _empty.Dispose();
        _module.Dispose();
        _engine.Dispose();
        File.Delete(_stdoutPath);
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Calls)]
    public void BuiltInWasi()
    {
        using var store = new Store(_engine);
        store.SetWasiConfiguration(new WasiConfiguration().WithStandardOutput(_stdoutPath));
        Run(_builtIn, store);
    }

    [Benchmark(OperationsPerInvoke = Calls)]
    public int CarapaceWasi()
    {
        using var context = new WasiContext(new WasiOptions { Args = ["hostcall"], MaxStdoutBytes = Calls });
        using var store = new Store(_engine, context);
        Run(_carapace, store);
        return context.StdoutLength == Calls ? 0 : throw new InvalidOperationException("stdout is incomplete");
    }

    [Benchmark(OperationsPerInvoke = Calls)]
    public void EmptyHostFunction()
    {
        using var store = new Store(_engine);
        Run(_empty, store);
    }

    private void Run(Linker linker, Store store)
    {
        var instance = linker.Instantiate(store, _module);
        instance.GetAction<int>("run")!(Calls);
    }
}
