using System.Diagnostics;
using System.Globalization;
using System.Text;
using Carapace.Enclave.FileSystem;
using Carapace.Enclave.FileSystem.Memory;
using Carapace.Enclave.FileSystem.Overlay;
using Carapace.Enclave.Host;
using Carapace.Enclave.Wasi;
using Carapace.Functions;
using Carapace.Protocol;
using Wasmtime;

namespace Carapace.Enclave.Wasm;

/// <summary>
/// A compiled command module. A run gets Carapace's WASI over in-enclave state: stdin is the input, stdout the output,
/// stderr the log, the image mounted with a writable overlay and /tmp sharing the manifest's scratch budget; linear
/// memory is capped, the wall clock interrupts through the engine's epoch, fuel is metered when the manifest asks.
/// Linear memory is zeroed when the run ends; /tmp, the overlay and the output buffers when the run is disposed.
/// </summary>
internal sealed class WasmCode(Engine engine, Linker linker, Module module) : IFunctionCode
{
    private const long EpochTickMilliseconds = EpochTicker.TickMilliseconds;

    public void Dispose() => module.Dispose();

    public IFunctionRun Run(FunctionInvocation invocation)
    {
        var manifest = invocation.Manifest;
        var deadline = new CancellationTokenSource(TimeSpan.FromMilliseconds(manifest.TimeoutMilliseconds));
        // Everything the invocation writes lives in enclave memory and is zeroed when these are disposed: /tmp and the
        // image's overlay share one budget (the manifest's tmp size); the image itself is never written.
        var scratch = new StorageQuota(manifest.TmpBytes);
        var clock = FileClock(manifest);
        // An image mounted at '/' holds the guest's whole tree, /tmp included (writable through the overlay).
        var tmp = manifest.TmpBytes > 0 && manifest.Image?.MountPath != "/" ? new MemoryFileSystem(scratch, clock: clock) : null;
        var overlay = invocation.Image is null ? null : new OverlayFileSystem(invocation.Image, new MemoryFileSystem(scratch, clock: clock));
        var preopens = new List<(string, IFileSystem)>();
        if (overlay is not null)
        {
            preopens.Add((manifest.Image!.MountPath, overlay));
        }

        if (tmp is not null)
        {
            preopens.Add(("/tmp", tmp));
        }

        var wasi = new WasiContext(new WasiOptions
        {
            Args = [manifest.Name, .. manifest.Arguments],
            Environment = [.. manifest.Environment, .. invocation.Secrets.Select(s => new KeyValuePair<string, string>(s.Key, Encoding.UTF8.GetString(s.Value)))],
            Stdin = invocation.Input,
            MaxStdoutBytes = (int)manifest.MaxOutputBytes,
            MaxStderrBytes = (int)manifest.MaxLogBytes,
            Preopens = preopens,
            Clock = new WasiClockOptions { ResolutionNanoseconds = manifest.ClockResolutionNanoseconds, RealtimeGranted = manifest.Realtime },
            Deadline = deadline.Token,
        });
        var run = new WasmRun(wasi, tmp, overlay, deadline);
        try
        {
            Execute(manifest, wasi, run);
            return run;
        }
        catch
        {
            run.Dispose();
            throw;
        }
    }

    private void Execute(FunctionManifest manifest, WasiContext wasi, WasmRun run)
    {
        var watch = Stopwatch.StartNew();
        using (var store = new Store(engine, wasi))
        {
            store.SetLimits(memorySize: manifest.MemoryBytes);
            if (manifest.Fuel > 0)
            {
                store.Fuel = (ulong)manifest.Fuel;
            }

            store.SetEpochDeadline((ulong)((manifest.TimeoutMilliseconds + EpochTickMilliseconds - 1) / EpochTickMilliseconds) + 1);
            Memory? memory = null;
            try
            {
                var instance = linker.Instantiate(store, module);
                run.InstantiateMicros = (long)watch.Elapsed.TotalMicroseconds;
                memory = instance.GetMemory("memory");
                var start = instance.GetAction("_start")
                    ?? throw new InvalidOperationException("the module exports no _start function (it is not a WASI command)");
                (run.Status, run.ExitCode, run.Message) = Start(manifest, start, wasi);
            }
            catch (WasmtimeException e) when (e is not TrapException)
            {
                (run.Status, run.ExitCode, run.Message) = (InvocationStatus.Trap, 0, "instantiation failed: " + FirstLine(e.Message));
            }
            catch (InvalidOperationException e)
            {
                (run.Status, run.ExitCode, run.Message) = (InvocationStatus.Trap, 0, e.Message);
            }

            run.MemoryBytes = memory?.GetLength() ?? 0;
            if (manifest.Fuel > 0)
            {
                run.FuelUsed = manifest.Fuel - (long)store.Fuel;
            }

            // Wasmtime's .NET binding cannot report a refused memory.grow, so a failure is attributed to the memory
            // limit when the guest failed with its linear memory within max(1 MiB, limit/8) of the limit.
            if ((run.Status == InvocationStatus.Trap || (run.Status == InvocationStatus.Completed && run.ExitCode != 0))
                && run.MemoryBytes + Math.Max(1L << 20, manifest.MemoryBytes / 8) >= manifest.MemoryBytes)
            {
                run.Status = InvocationStatus.MemoryLimit;
                run.Message = string.Create(CultureInfo.InvariantCulture, $"memory limit exceeded ({manifest.MemoryBytes >> 20} MiB)");
            }

            if (memory is not null)
            {
                ZeroLinearMemory(memory);
            }
        }

        if (wasi.IntegrityViolation is { } violation)
        {
            (run.Status, run.Message) = (InvocationStatus.IntegrityViolation, "integrity violation: " + violation);
        }
        else if (wasi.StdoutTruncated && run.Status == InvocationStatus.Completed)
        {
            (run.Status, run.Message) = (InvocationStatus.OutputTooLarge, string.Create(CultureInfo.InvariantCulture, $"output exceeded {manifest.MaxOutputBytes} bytes"));
        }
    }

    private static (InvocationStatus Status, int Exit, string Message) Start(FunctionManifest manifest, Action start, WasiContext wasi)
    {
        try
        {
            start();
            return (InvocationStatus.Completed, 0, "ok");
        }
        catch (Exception) when (wasi.ExitCode is { } code)
        {
            return (InvocationStatus.Completed, code, code == 0 ? "ok" : string.Create(CultureInfo.InvariantCulture, $"exit code {code}"));
        }
        catch (TrapException e) when (e.Type == TrapCode.Interrupt)
        {
            return (InvocationStatus.Timeout, 0, string.Create(CultureInfo.InvariantCulture, $"timeout after {manifest.TimeoutMilliseconds / 1000.0:0.0#} s"));
        }
        catch (TrapException e) when (e.Type == TrapCode.OutOfFuel)
        {
            return (InvocationStatus.FuelExhausted, 0, string.Create(CultureInfo.InvariantCulture, $"fuel exhausted ({manifest.Fuel} units)"));
        }
        catch (WasmtimeException e)
        {
            return (InvocationStatus.Trap, 0, "guest trap: " + FirstLine(e.Message));
        }
    }

    /// <summary>
    /// The times written files get: the wall clock at the function's clock resolution when it may read the wall clock
    /// (so file times tell the guest nothing it could not read anyway), else none (0).
    /// </summary>
    private static Func<ulong>? FileClock(FunctionManifest manifest)
    {
        if (!manifest.Realtime)
        {
            return null;
        }

        var resolution = (ulong)manifest.ClockResolutionNanoseconds;
        return () =>
        {
            var ticks = DateTimeOffset.UtcNow.UtcTicks - DateTime.UnixEpoch.Ticks;
            var nanoseconds = ticks <= 0 ? 0 : (ulong)ticks * 100;
            return nanoseconds - (nanoseconds % resolution);
        };
    }

    private static void ZeroLinearMemory(Memory memory)
    {
        var length = memory.GetLength();
        const int Chunk = 1 << 30;
        for (long offset = 0; offset < length; offset += Chunk)
        {
            memory.GetSpan(offset, (int)Math.Min(Chunk, length - offset)).Clear();
        }
    }

    private static string FirstLine(string text)
    {
        var end = text.IndexOf('\n', StringComparison.Ordinal);
        return end < 0 ? text : text[..end];
    }
}

/// <summary>One run of a module: its WASI context (stdout, stderr) and the in-enclave trees it wrote, zeroed on dispose.</summary>
internal sealed class WasmRun(WasiContext wasi, MemoryFileSystem? tmp, OverlayFileSystem? overlay, CancellationTokenSource deadline) : IFunctionRun
{
    public InvocationStatus Status { get; set; }

    public int ExitCode { get; set; }

    public string Message { get; set; } = "";

    public long InstantiateMicros { get; set; }

    public long MemoryBytes { get; set; }

    public long FuelUsed { get; set; }

    public int OutputLength => wasi.StdoutLength;

    public int LogLength => wasi.StderrLength;

    public int CopyOutputTo(Span<byte> destination) => wasi.CopyStdoutTo(destination);

    public int CopyLogTo(Span<byte> destination) => wasi.CopyStderrTo(destination);

    public void Dispose()
    {
        wasi.Dispose();
        overlay?.Dispose();
        tmp?.Dispose();
        deadline.Dispose();
    }
}
