using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Carapace.Enclave.Host;
using Carapace.Functions;
using Carapace.Protocol;

namespace Carapace.Enclave.Js;

/// <summary>
/// One JavaScript run's outcome: its result JSON (the output) and console lines (the log, at most the manifest's log
/// size; later lines are dropped with a note), as UTF-8 in pinned buffers zeroed on dispose. A result with an
/// <c>error</c> field, a thrown error and a rejected Promise end as OpenWhisk's application error: exit code 1 and the
/// <c>{"error": …}</c> object as the output.
/// </summary>
internal sealed class JsRun(FunctionManifest manifest) : IFunctionRun
{
    private static readonly byte[] s_truncated = "[carapace: the log reached its limit; later lines are dropped]\n"u8.ToArray();
    private readonly PinnedBuffer _output = new(256);
    private readonly PinnedBuffer _log = new(256);
    private bool _logFull;

    public bool Finished { get; private set; }

    public InvocationStatus Status { get; private set; } = InvocationStatus.Completed;

    public int ExitCode { get; private set; }

    public string Message { get; private set; } = "ok";

    public long InstantiateMicros { get; set; }

    public long MemoryBytes { get; set; }

    public long FuelUsed { get; set; }

    public int OutputLength => _output.WrittenSpan.Length;

    public int LogLength => _log.WrittenSpan.Length;

    public int CopyOutputTo(Span<byte> destination) => Copy(_output, destination);

    public int CopyLogTo(Span<byte> destination) => Copy(_log, destination);

    /// <summary>Records the settled result (the first one counts).</summary>
    public void Finish(bool failed, string json)
    {
        if (Finished)
        {
            return;
        }

        Finished = true;
        var length = Encoding.UTF8.GetByteCount(json);
        if (length > manifest.MaxOutputBytes)
        {
            Status = InvocationStatus.OutputTooLarge;
            Message = string.Create(CultureInfo.InvariantCulture, $"output exceeded {manifest.MaxOutputBytes} bytes");
            return;
        }

        _output.Advance(Encoding.UTF8.GetBytes(json, _output.GetSpan(length)));
        ExitCode = failed ? 1 : 0;
        Message = failed ? "exit code 1 (the action's result is an error)" : "ok";
    }

    /// <summary>Ends the run at a limit: no output.</summary>
    public void Stop(InvocationStatus status, string message)
    {
        Finished = true;
        _output.Clear();
        Status = status;
        ExitCode = 0;
        Message = message;
    }

    /// <summary>Appends one console line.</summary>
    public void Log(string text)
    {
        if (_logFull)
        {
            return;
        }

        var length = Encoding.UTF8.GetByteCount(text) + 1;
        if (_log.WrittenSpan.Length + length + s_truncated.Length > manifest.MaxLogBytes)
        {
            _logFull = true;
            s_truncated.CopyTo(_log.GetSpan(s_truncated.Length));
            _log.Advance(s_truncated.Length);
            return;
        }

        var span = _log.GetSpan(length);
        var written = Encoding.UTF8.GetBytes(text, span);
        span[written] = (byte)'\n';
        _log.Advance(written + 1);
    }

    public void Dispose()
    {
        _output.Dispose();
        _log.Dispose();
    }

    private static int Copy(PinnedBuffer buffer, Span<byte> destination)
    {
        buffer.WrittenSpan.CopyTo(destination);
        return buffer.WrittenSpan.Length;
    }
}
