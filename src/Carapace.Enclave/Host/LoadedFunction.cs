using System.Diagnostics;
using System.Security.Cryptography;
using Carapace.Enclave.FileSystem;
using Carapace.Envelope;
using Carapace.Envelope.Format;
using Carapace.Envelope.Keys;
using Carapace.Envelope.Replay;
using Carapace.Envelope.Sealing;
using Carapace.Functions;
using Carapace.Protocol;

namespace Carapace.Enclave.Host;

/// <summary>
/// One function loaded in this enclave: its code, manifest, edge keys, secrets and image. An invocation opens the
/// sealed input, runs the function with its engine under its limits (<see cref="IFunctionCode"/>), seals its output
/// for the output edge and its log for the log edge, and then zeroes everything the invocation touched: the engine's
/// memory for it (linear memory, /tmp and the image's overlay; the JavaScript heap), the plaintext buffers and the
/// recently used stack. Nothing written persists into
/// the next invocation. A function the KMS entitled also signs a receipt for every invocation whose input
/// header parsed, including refused ones.
/// </summary>
internal sealed class LoadedFunction : IDisposable
{
    private readonly IFunctionCode _code;
    private readonly FunctionManifest _manifest;
    private readonly FunctionKeys _keys;
    private readonly IReadOnlyList<KeyValuePair<string, byte[]>> _secrets;
    private readonly IFileSystem? _image;
    private readonly InvocationReceipts? _receipts;
    private readonly ReplayGuard _replay;
    private readonly PinnedBuffer _payload = new(64 * 1024);
    private readonly PinnedBuffer _staging = new(64 * 1024);

    public LoadedFunction(IFunctionCode code, FunctionManifest manifest, FunctionKeys keys,
        IReadOnlyList<KeyValuePair<string, byte[]>> secrets, IFileSystem? image, InvocationReceipts? receipts = null)
    {
        _receipts = receipts;

        // One window per edge the function holds a key for, so no edge is ever forgotten: with fewer, inputs on the
        // function's other chains would push an edge out, and a controller could replay a step after interleaving them.
        _replay = new ReplayGuard(windowPerEdge: 16_384, maxEdges: Math.Max(1, keys.Count));
        _code = code;
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
        _code.Dispose();
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
        var watch = Stopwatch.StartNew();
        using var run = _code.Run(new FunctionInvocation(_manifest, _payload.WrittenMemory, _secrets, _image));
        var wall = (long)watch.Elapsed.TotalMicroseconds;
        var sealing = Stopwatch.GetTimestamp();
        var sealOptions = new SealOptions { RequestId = request.RequestId, Function = _manifest.Name };
        var status = run.Status;
        var output = status is InvocationStatus.Completed or InvocationStatus.OutputTooLarge ? SealStream(run, stdout: true, edges.Output, sealOptions, _staging) : [];
        var log = SealStream(run, stdout: false, edges.Log, new SealOptions { RequestId = request.RequestId, Function = _manifest.Name, ContentType = "text/plain; charset=utf-8" }, _staging);
        var usage = new ResourceUsage(wall, run.FuelUsed, run.MemoryBytes, run.InstantiateMicros);
        var signing = Stopwatch.GetTimestamp();
        var receipt = _receipts?.Issue(request, sealedInput.Span, output, log, status, run.ExitCode, started, usage) ?? [];
        var timings = new EnclaveTimings(
            (long)opened.TotalMicroseconds, (long)Stopwatch.GetElapsedTime(sealing, signing).TotalMicroseconds,
            (long)Stopwatch.GetElapsedTime(signing).TotalMicroseconds, (long)Stopwatch.GetElapsedTime(arrived).TotalMicroseconds);
        return new ResultMessage(invocationId, status, run.ExitCode, run.Message, output, log, usage, receipt) { Timings = timings };
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

    /// <summary>Seals the guest's stdout or stderr, staged in the function's pinned buffer (zeroed after each use).</summary>
    private static byte[] SealStream(IFunctionRun run, bool stdout, EdgeKey key, SealOptions options, PinnedBuffer staging)
    {
        try
        {
            var length = stdout ? run.OutputLength : run.LogLength;
            var copied = stdout ? run.CopyOutputTo(staging.GetSpan(length)) : run.CopyLogTo(staging.GetSpan(length));
            staging.Advance(copied);
            return EnvelopeSealer.Seal(key, staging.WrittenSpan, options);
        }
        finally
        {
            staging.Clear();
        }
    }
}
