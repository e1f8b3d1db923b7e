using System.Diagnostics;
using Carapace.Enclave.Wasi;
using Carapace.Functions;
using Wasmtime;

namespace Carapace.Cli.Bench;

/// <summary>
/// The baseline of <c>bench runtime</c> (and, behind <see cref="BaselineServer"/>, of <c>bench invoke</c>): the same
/// module run in this process with Wasmtime and Carapace's WASI, with the same engine settings, but no enclave process,
/// no envelopes and no protocol. One runner serves one invocation at a time.
/// </summary>
internal sealed class DirectRunner : IDisposable
{
    private readonly Engine _engine = EngineSettings.CreateEngine(fuel: false);
    private readonly Linker _linker;
    private readonly Module _module;
    private readonly Timer _epochs;

    public DirectRunner(byte[] module)
    {
        _linker = new Linker(_engine);
        WasiPreview1.Define(_linker);
        _module = Module.FromBytes(_engine, "direct", module);
        _epochs = new Timer(_ => _engine.IncrementEpoch(), null, 10, 10);
    }

    /// <summary>Runs once; returns the wall time in microseconds and the stdout length.</summary>
    public (double Micros, int Output) Run(ReadOnlyMemory<byte> stdin, IReadOnlyList<string>? args = null)
    {
        var watch = Stopwatch.StartNew();
        using var wasi = Execute(stdin, args);
        return (watch.Elapsed.TotalMicroseconds, wasi.StdoutLength);
    }

    /// <summary>Runs once; returns the exit code (null: it ended without proc_exit) and what the module wrote to stdout.</summary>
    public (int? ExitCode, byte[] Output) RunForOutput(ReadOnlyMemory<byte> stdin)
    {
        using var wasi = Execute(stdin, null);
        return (wasi.ExitCode, wasi.CopyStdout());
    }

    private WasiContext Execute(ReadOnlyMemory<byte> stdin, IReadOnlyList<string>? args)
    {
        var wasi = new WasiContext(new WasiOptions { Args = ["direct", .. args ?? []], Stdin = stdin, MaxStdoutBytes = 64 << 20 });
        try
        {
            using var store = new Store(_engine, wasi);
            store.SetLimits(memorySize: 64L << 20);
            store.SetEpochDeadline(500);
            var instance = _linker.Instantiate(store, _module);
            try
            {
                instance.GetAction("_start")!();
            }
            catch (WasmtimeException) when (wasi.ExitCode is not null)
            {
                // proc_exit
            }

            return wasi;
        }
        catch
        {
            wasi.Dispose();
            throw;
        }
    }

    /// <summary>Runs the module under Wasmtime's built-in WASI (which writes to a real file), for the host-call comparison.</summary>
    public static double RunBuiltinWasi(byte[] module, IReadOnlyList<string> args, string stdoutPath)
    {
        using var engine = new Engine();
        using var linker = new Linker(engine);
        linker.DefineWasi();
        using var compiled = Module.FromBytes(engine, "builtin", module);
        using var store = new Store(engine);
        store.SetWasiConfiguration(new WasiConfiguration().WithArgs(["builtin", .. args]).WithStandardOutput(stdoutPath));
        var instance = linker.Instantiate(store, compiled);
        var watch = Stopwatch.StartNew();
        try
        {
            instance.GetAction("_start")!();
        }
        catch (WasmtimeException e) when (e.ExitCode is 0)
        {
            // proc_exit(0)
        }

        return watch.Elapsed.TotalMicroseconds;
    }

    public void Dispose()
    {
        _epochs.Dispose();
        _module.Dispose();
        _linker.Dispose();
        _engine.Dispose();
    }
}
