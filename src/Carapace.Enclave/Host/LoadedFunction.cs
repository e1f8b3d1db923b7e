using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Carapace.Enclave.FileSystem;
using Carapace.Enclave.FileSystem.Memory;
using Carapace.Enclave.FileSystem.Overlay;
using Carapace.Enclave.Wasi;
using Carapace.Envelope;
using Carapace.Envelope.Format;
using Carapace.Envelope.Keys;
using Carapace.Envelope.Replay;
using Carapace.Envelope.Sealing;
using Carapace.Functions;
using Carapace.Protocol;
using Wasmtime;

namespace Carapace.Enclave.Host;

/// <summary>
/// One function loaded in this enclave: its module, manifest, edge keys, secrets and image. An invocation opens the
/// sealed input, runs the guest under Carapace's WASI with its limits, seals stdout for the output edge and stderr for
/// the log edge, and then zeroes everything the invocation touched: linear memory, /tmp, the image's overlay (all it
/// wrote over the read-only image), the plaintext buffers and the recently used stack. Nothing written persists into
/// the next invocation. A function the KMS entitled also signs a receipt for every invocation whose input
/// header parsed, including refused ones.
/// </summary>
internal sealed class LoadedFunction : IDisposable
{
    private const long EpochTickMilliseconds = EpochTicker.TickMilliseconds;

    private readonly Engine _engine;
    private readonly Linker _linker;
    private readonly Module _module;
    private readonly FunctionManifest _manifest;
    private readonly FunctionKeys _keys;
    private readonly IReadOnlyList<KeyValuePair<string, byte[]>> _secrets;
    private readonly IFileSystem? _image;
    private readonly InvocationReceipts? _receipts;
    private readonly ReplayGuard _replay;
    private readonly PinnedBuffer _payload = new(64 * 1024);
    private readonly PinnedBuffer _staging = new(64 * 1024);

    public LoadedFunction(Engine engine, Linker linker, Module module, FunctionManifest manifest, FunctionKeys keys,
        IReadOnlyList<KeyValuePair<string, byte[]>> secrets, IFileSystem? image, InvocationReceipts? receipts = null)
    {
        _receipts = receipts;

        // One window per edge the function holds a key for, so no edge is ever forgotten: with fewer, inputs on the
        // function's other chains would push an edge out, and a controller could replay a step after interleaving them.
        _replay = new ReplayGuard(windowPerEdge: 16_384, maxEdges: Math.Max(1, keys.Count));
        _engine = engine;
        _linker = linker;
        _module = module;
        _manifest = manifest;
        _keys = keys;
        _secrets = secrets;
        _image = image;
    }

    public ResultMessage Invoke(long invocationId, ReadOnlyMemory<byte> sealedInput)
    {
        try
        {
            return Run(invocationId, sealedInput);
        }
        finally
        {
            _payload.Clear();
            _staging.Clear();
            StackScrubber.Scrub();
        }
    }

    /// <summary>
    /// Zeroes the keys, secrets, image keys and plaintext buffers, possibly while another thread runs an invocation
    /// (which then fails): only for an enclave that is about to exit. The module and the engine are left alone.
    /// </summary>
    public void Wipe()
    {
        _payload.Clear();
        _staging.Clear();
        _keys.Dispose();
        _receipts?.Dispose();
        foreach (var (_, value) in _secrets)
        {
            CryptographicOperations.ZeroMemory(value);
        }

        (_image as IDisposable)?.Dispose();
    }

    public void Dispose()
    {
        _payload.Dispose();
        _staging.Dispose();
        _keys.Dispose();
        _receipts?.Dispose();
        foreach (var (_, value) in _secrets)
        {
            CryptographicOperations.ZeroMemory(value);
        }

        (_image as IDisposable)?.Dispose();
        _module.Dispose();
    }

    private ResultMessage Run(long invocationId, ReadOnlyMemory<byte> sealedInput)
    {
        // Durations only, for the worker's telemetry (EnclaveTimings): no data, no key.
        var arrived = Stopwatch.GetTimestamp();
        var started = _receipts?.Clock.GetUtcNow() ?? default;
        EnvelopeMetadata request;
        (EdgeKey Input, EdgeKey Output, EdgeKey Log) edges;
        try
        {
            if (!_keys.TryResolve(sealedInput.Span, out edges, out var problem))
            {
                return Rejected(invocationId, "input rejected: " + problem, InputRejectionReason.KeyUnavailable, sealedInput.Span, started);
            }

            request = EnvelopeOpener.Open(edges.Input, sealedInput.Span, _payload, new OpenOptions { MaxPayloadBytes = _manifest.MaxInputBytes, ReplayGuard = _replay });
        }
        catch (EnvelopeException e)
        {
            return Rejected(invocationId, "input rejected: " + e.Message, ReasonOf(e.Kind), sealedInput.Span, started);
        }

        var opened = Stopwatch.GetElapsedTime(arrived);
        using var deadline = new CancellationTokenSource(TimeSpan.FromMilliseconds(_manifest.TimeoutMilliseconds));
        // Everything the invocation writes lives in enclave memory and is zeroed when these are disposed: /tmp and the
        // image's overlay share one budget (the manifest's tmp size); the image itself is never written.
        var scratch = new StorageQuota(_manifest.TmpBytes);
        var clock = FileClock();
        // An image mounted at '/' holds the guest's whole tree, /tmp included (writable through the overlay).
        using var tmp = _manifest.TmpBytes > 0 && _manifest.Image?.MountPath != "/" ? new MemoryFileSystem(scratch, clock: clock) : null;
        using var overlay = _image is null ? null : new OverlayFileSystem(_image, new MemoryFileSystem(scratch, clock: clock));
        var preopens = new List<(string, IFileSystem)>();
        if (overlay is not null)
        {
            preopens.Add((_manifest.Image!.MountPath, overlay));
        }

        if (tmp is not null)
        {
            preopens.Add(("/tmp", tmp));
        }

        using var wasi = new WasiContext(new WasiOptions
        {
            Args = [_manifest.Name, .. _manifest.Arguments],
            Environment = [.. _manifest.Environment, .. _secrets.Select(s => new KeyValuePair<string, string>(s.Key, Encoding.UTF8.GetString(s.Value)))],
            Stdin = _payload.WrittenMemory,
            MaxStdoutBytes = (int)_manifest.MaxOutputBytes,
            MaxStderrBytes = (int)_manifest.MaxLogBytes,
            Preopens = preopens,
            Clock = new WasiClockOptions { ResolutionNanoseconds = _manifest.ClockResolutionNanoseconds, RealtimeGranted = _manifest.Realtime },
            Deadline = deadline.Token,
        });

        var watch = Stopwatch.StartNew();
        long instantiateMicros = 0, memoryBytes = 0, fuelUsed = 0;
        InvocationStatus status;
        var exitCode = 0;
        string message;
        using (var store = new Store(_engine, wasi))
        {
            store.SetLimits(memorySize: _manifest.MemoryBytes);
            if (_manifest.Fuel > 0)
            {
                store.Fuel = (ulong)_manifest.Fuel;
            }

            store.SetEpochDeadline((ulong)((_manifest.TimeoutMilliseconds + EpochTickMilliseconds - 1) / EpochTickMilliseconds) + 1);
            Memory? memory = null;
            try
            {
                var instance = _linker.Instantiate(store, _module);
                instantiateMicros = (long)watch.Elapsed.TotalMicroseconds;
                memory = instance.GetMemory("memory");
                var start = instance.GetAction("_start")
                    ?? throw new InvalidOperationException("the module exports no _start function (it is not a WASI command)");
                (status, exitCode, message) = Execute(start, wasi, memory);
            }
            catch (WasmtimeException e) when (e is not TrapException)
            {
                (status, exitCode, message) = (InvocationStatus.Trap, 0, "instantiation failed: " + FirstLine(e.Message));
            }
            catch (InvalidOperationException e)
            {
                (status, exitCode, message) = (InvocationStatus.Trap, 0, e.Message);
            }

            memoryBytes = memory?.GetLength() ?? 0;
            if (_manifest.Fuel > 0)
            {
                fuelUsed = _manifest.Fuel - (long)store.Fuel;
            }

            // Wasmtime's .NET binding cannot report a refused memory.grow, so a failure is attributed to the memory
            // limit when the guest failed with its linear memory within max(1 MiB, limit/8) of the limit.
            if ((status == InvocationStatus.Trap || (status == InvocationStatus.Completed && exitCode != 0))
                && memoryBytes + Math.Max(1L << 20, _manifest.MemoryBytes / 8) >= _manifest.MemoryBytes)
            {
                status = InvocationStatus.MemoryLimit;
                message = string.Create(CultureInfo.InvariantCulture, $"memory limit exceeded ({_manifest.MemoryBytes >> 20} MiB)");
            }

            if (memory is not null)
            {
                ZeroLinearMemory(memory);
            }
        }

        if (wasi.IntegrityViolation is { } violation)
        {
            (status, message) = (InvocationStatus.IntegrityViolation, "integrity violation: " + violation);
        }
        else if (wasi.StdoutTruncated && status == InvocationStatus.Completed)
        {
            (status, message) = (InvocationStatus.OutputTooLarge, string.Create(CultureInfo.InvariantCulture, $"output exceeded {_manifest.MaxOutputBytes} bytes"));
        }

        var wall = (long)watch.Elapsed.TotalMicroseconds;
        var sealing = Stopwatch.GetTimestamp();
        var sealOptions = new SealOptions { RequestId = request.RequestId, Function = _manifest.Name };
        var output = status is InvocationStatus.Completed or InvocationStatus.OutputTooLarge ? SealStream(wasi, stdout: true, edges.Output, sealOptions, _staging) : [];
        var log = SealStream(wasi, stdout: false, edges.Log, new SealOptions { RequestId = request.RequestId, Function = _manifest.Name, ContentType = "text/plain; charset=utf-8" }, _staging);
        var usage = new ResourceUsage(wall, fuelUsed, memoryBytes, instantiateMicros);
        var signing = Stopwatch.GetTimestamp();
        var receipt = _receipts?.Issue(request, sealedInput.Span, output, log, status, exitCode, started, usage) ?? [];
        var timings = new EnclaveTimings(
            (long)opened.TotalMicroseconds, (long)Stopwatch.GetElapsedTime(sealing, signing).TotalMicroseconds,
            (long)Stopwatch.GetElapsedTime(signing).TotalMicroseconds, (long)Stopwatch.GetElapsedTime(arrived).TotalMicroseconds);
        return new ResultMessage(invocationId, status, exitCode, message, output, log, usage, receipt) { Timings = timings };
    }

    /// <summary>
    /// The answer for an input refused before the function ran, with a receipt when the input's header names a
    /// chain position (its metadata is then only claimed, not authenticated; the receipt's status says it was refused).
    /// </summary>
    private ResultMessage Rejected(long invocationId, string message, string reason, ReadOnlySpan<byte> sealedInput, DateTimeOffset started)
    {
        byte[] receipt = [];
        if (_receipts is not null && TryReadMetadata(sealedInput) is { } claimed)
        {
            receipt = _receipts.Issue(claimed, sealedInput, [], [], InvocationStatus.InputRejected, 0, started, default);
        }

        return new ResultMessage(invocationId, InvocationStatus.InputRejected, 0, message, default, default, default, receipt, reason);
    }

    /// <summary>
    /// The typed reason of an input that did not open. Only a replay means the request id had been accepted here
    /// before; for every other failure the replay guard holds no record of it (a record taken when chunk 0
    /// authenticated is withdrawn when the envelope then fails to open).
    /// </summary>
    internal static string ReasonOf(EnvelopeErrorKind kind) => kind switch
    {
        EnvelopeErrorKind.Replay => InputRejectionReason.Replay,
        EnvelopeErrorKind.TooLarge => InputRejectionReason.TooLarge,
        EnvelopeErrorKind.WrongKey => InputRejectionReason.KeyUnavailable,
        _ => InputRejectionReason.Inauthentic,
    };

    private static EnvelopeMetadata? TryReadMetadata(ReadOnlySpan<byte> sealedInput)
    {
        try
        {
            return EnvelopeHeader.Parse(sealedInput).Metadata;
        }
        catch (EnvelopeException)
        {
            return null;
        }
    }

    private (InvocationStatus Status, int Exit, string Message) Execute(Action start, WasiContext wasi, Memory? memory)
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
            return (InvocationStatus.Timeout, 0, string.Create(CultureInfo.InvariantCulture, $"timeout after {_manifest.TimeoutMilliseconds / 1000.0:0.0#} s"));
        }
        catch (TrapException e) when (e.Type == TrapCode.OutOfFuel)
        {
            return (InvocationStatus.FuelExhausted, 0, string.Create(CultureInfo.InvariantCulture, $"fuel exhausted ({_manifest.Fuel} units)"));
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
    private Func<ulong>? FileClock()
    {
        if (!_manifest.Realtime)
        {
            return null;
        }

        var resolution = (ulong)_manifest.ClockResolutionNanoseconds;
        return () =>
        {
            var ticks = DateTimeOffset.UtcNow.UtcTicks - DateTime.UnixEpoch.Ticks;
            var nanoseconds = ticks <= 0 ? 0 : (ulong)ticks * 100;
            return nanoseconds - (nanoseconds % resolution);
        };
    }

    /// <summary>Seals the guest's stdout or stderr, staged in the function's pinned buffer (zeroed after each use).</summary>
    private static byte[] SealStream(WasiContext wasi, bool stdout, EdgeKey key, SealOptions options, PinnedBuffer staging)
    {
        try
        {
            var length = stdout ? wasi.StdoutLength : wasi.StderrLength;
            var copied = stdout ? wasi.CopyStdoutTo(staging.GetSpan(length)) : wasi.CopyStderrTo(staging.GetSpan(length));
            staging.Advance(copied);
            return EnvelopeSealer.Seal(key, staging.WrittenSpan, options);
        }
        finally
        {
            staging.Clear();
        }
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
