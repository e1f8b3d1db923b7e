using System.Diagnostics;
using Carapace.Protocol;
using Carapace.Protocol.Lane;

namespace Carapace.Worker.Enclaves;

/// <summary>
/// One enclave process seen from the untrusted host: it starts the process, waits for its ready message, then
/// relays requests one at a time (the enclave runs one invocation at a time) and their answers. It only ever holds
/// sealed bytes and plaintext metadata. A process that exits or breaks the protocol makes every pending and later
/// request fail with <see cref="EnclaveException.EnclaveLost"/> = true; it never hangs the caller.
/// </summary>
/// <remarks>
/// Answers are read by one dedicated thread per enclave that blocks in read(2) on the pipe: an answer wakes that
/// thread directly, instead of an epoll thread that would then queue the read's continuation to the thread pool.
/// A request whose caller gives up (cancellation) leaves the enclave busy with an answer nobody will take, so the
/// enclave is killed and reported lost rather than reused.
/// </remarks>
public sealed class EnclaveProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly FrameChannel _channel;
    private readonly SemaphoreSlim _requestLock = new(1, 1);
    private readonly Task _stderrPump;
    private readonly Lock _gate = new();
    private readonly Thread _reader;
    private readonly SharedLane? _lane;
    private readonly TimeSpan _answerPoll;
    private TaskCompletionSource<Frame?>? _pending;
    private bool _readerDone;
    private long _nextInvocation;
    private volatile bool _lost;

    private EnclaveProcess(Process process, FrameChannel channel, Task stderrPump, ReadyMessage ready, SharedLane? lane, TimeSpan answerPoll)
    {
        _process = process;
        _channel = channel;
        _stderrPump = stderrPump;
        _lane = lane;
        _answerPoll = answerPoll;
        Ready = ready;
        _reader = new Thread(ReadLoop) { IsBackground = true, Name = $"carapace-enclave-{process.Id}-reader" };
        _reader.Start();
    }

    /// <summary>What the enclave announced: runtime identity and session public key.</summary>
    public ReadyMessage Ready { get; }

    /// <summary>The enclave's process id.</summary>
    public int ProcessId => _process.Id;

    /// <summary>Invocations this enclave has served.</summary>
    public long Invocations => Interlocked.Read(ref _nextInvocation);

    /// <summary>Whether invocations and answers also cross through the shared-memory lane.</summary>
    public bool HasLane => _lane is not null;

    /// <summary>How long a caller polls for a specialisation's answer (a cached load takes a few milliseconds).</summary>
    private TimeSpan SpecializePoll => _answerPoll > TimeSpan.Zero ? TimeSpan.FromMilliseconds(10) : TimeSpan.Zero;

    /// <summary>Whether the process is gone or unusable.</summary>
    public bool IsLost => _lost || _process.HasExited;

    /// <summary>Starts an enclave process and waits until it reports ready.</summary>
    /// <exception cref="EnclaveException">It could not start, or did not report ready in time.</exception>
    public static async Task<EnclaveProcess> StartAsync(EnclaveLaunchOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        // The native enclave runs as itself; only the JIT build (benchmark comparisons) needs the dotnet host.
        var start = new ProcessStartInfo(options.IsJitEnclave ? DotnetHost() : options.EnclavePath)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (options.IsJitEnclave)
        {
            start.ArgumentList.Add(options.EnclavePath);
        }

        // No root store is passed or withheld here: the enclave empties its own (HostTrustStore), whatever this
        // environment says, since it trusts no certificate authority and must not parse the host's files.

        // The enclave watches this process and ends within moments of its death, even mid-function (a closed pipe
        // alone is noticed only at its next read).
        start.ArgumentList.Add("--parent");
        start.ArgumentList.Add(Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (options.PlatformKeyPath is not null)
        {
            start.ArgumentList.Add("--platform-key");
            start.ArgumentList.Add(options.PlatformKeyPath);
        }

        start.ArgumentList.Add("--tee");
        start.ArgumentList.Add(options.Tee);
        if (options.TeeConfigPath is not null)
        {
            start.ArgumentList.Add("--tee-config");
            start.ArgumentList.Add(options.TeeConfigPath);
        }

        SharedLane? lane = null;
        if (options.LaneCapacity > 0)
        {
            try
            {
                lane = SharedLane.Create(options.LaneCapacity);
                start.ArgumentList.Add("--lane");
                start.ArgumentList.Add(lane.Path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // No shared memory here: every frame takes the pipe, which is slower but equivalent.
                options.Diagnostics?.Invoke(0, "carapace-worker: no shared lane for the enclave (" + e.Message + "); using the pipe only");
            }
        }

        if (options.IsJitEnclave)
        {
            start.Environment["DOTNET_TieredPGO"] = "1";
        }

        // No diagnostics IPC socket: it would let any process of this user attach to the enclave's runtime (dump its
        // memory, trace it). The host can still read the process's memory — simulation protects nothing from it — but
        // the enclave does not invite it.
        start.Environment["DOTNET_EnableDiagnostics"] = "0";
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new EnclaveException("the enclave process did not start", enclaveLost: true);
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            DropLane(lane);
            throw new EnclaveException($"cannot start the enclave process: {e.Message}", enclaveLost: true, e);
        }

        var pid = process.Id;
        string? cannotStart = null;
        var stderr = Task.Run(async () =>
        {
            string? line;
            while ((line = await process.StandardError.ReadLineAsync().ConfigureAwait(false)) is not null)
            {
                if (line.StartsWith(CannotStartPrefix, StringComparison.Ordinal))
                {
                    Volatile.Write(ref cannotStart, line[CannotStartPrefix.Length..].Trim());
                }

                options.Diagnostics?.Invoke(pid, line);
            }
        }, CancellationToken.None);
        var channel = new FrameChannel(process.StandardOutput.BaseStream, process.StandardInput.BaseStream);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.StartTimeout);
        try
        {
            var frame = await channel.ReadAsync(timeout.Token).ConfigureAwait(false);
            if (frame is not { Type: MessageType.Ready } ready)
            {
                if (frame is { Type: MessageType.Failure } f)
                {
                    throw new EnclaveException("the enclave failed to start: " + FailureMessage.Decode(f.Body).Message, enclaveLost: true);
                }

                // An enclave that refuses to start (its TEE missing or misconfigured) says why on stderr: pass that on.
                // Its pipes close as it exits, a moment before the runtime has reaped it: wait for both, bounded, so
                // the exit code is the real one and not "still running".
                await WaitQuietlyAsync(Task.WhenAll(stderr, process.WaitForExitAsync(CancellationToken.None)), StderrDrain).ConfigureAwait(false);
                var why = Volatile.Read(ref cannotStart);
                throw new EnclaveException($"the enclave process exited before it was ready (exit code {ExitCodeOf(process)})"
                    + (why is null ? "" : ": " + why), enclaveLost: true);
            }

            var message = ReadyMessage.Decode(ready.Body);
            if (message.ProtocolVersion != ReadyMessage.CurrentVersion)
            {
                throw new EnclaveException($"the enclave speaks protocol {message.ProtocolVersion}, this worker {ReadyMessage.CurrentVersion}", enclaveLost: true);
            }

            // The enclave has mapped the lane (or said it could not): its name is no longer needed by anyone.
            lane?.Unlink();
            if (!message.Lane && lane is not null)
            {
                DropLane(lane);
                lane = null;
            }

            return new EnclaveProcess(process, channel, stderr, message, lane, options.AnswerPoll);
        }
        catch (Exception e)
        {
            DropLane(lane);
            Kill(process);
            await channel.DisposeAsync().ConfigureAwait(false);
            process.Dispose();
            throw e switch
            {
                EnclaveException => e,
                OperationCanceledException when !cancellationToken.IsCancellationRequested =>
                    new EnclaveException($"the enclave did not report ready within {options.StartTimeout.TotalSeconds:0.#} s", enclaveLost: true, e),
                ProtocolException => new EnclaveException("the enclave broke the protocol at start: " + e.Message, enclaveLost: true, e),
                _ => e,
            };
        }
    }

    /// <summary>Specialises this stem cell into one function.</summary>
    /// <exception cref="EnclaveException">The enclave refused (e.g. module or image did not verify) or was lost.</exception>
    public async Task<SpecializedMessage> SpecializeAsync(SpecializeMessage request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var frame = await RoundTripAsync(MessageType.Specialize, request.Encode(), ReadOnlyMemory<byte>.Empty, MessageType.Specialized, cancellationToken, SpecializePoll).ConfigureAwait(false);
        return SpecializedMessage.Decode(frame.Body);
    }

    /// <summary>
    /// Tells an idle enclave that a request is coming soon (a stem cell about to be specialised): it then polls the
    /// lane for a few milliseconds instead of sleeping, so the request does not wait for a process wake-up. Does
    /// nothing without a lane or while a request is in flight.
    /// </summary>
    public async Task WakeAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            if (_lane is null || IsLost || !_requestLock.Wait(0, CancellationToken.None))
            {
                return;
            }
        }
        catch (ObjectDisposedException)
        {
            return;
        }

        try
        {
            if (_lane.ToEnclave.ReaderAsleep)
            {
                await _channel.WriteAsync(MessageType.Doorbell, ReadOnlyMemory<byte>.Empty, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            // A lost enclave shows up at its next request.
        }
        finally
        {
            _requestLock.Release();
        }
    }

    /// <summary>Runs the function once on a sealed input.</summary>
    /// <exception cref="EnclaveException">The enclave was lost during the invocation (crash, kill, protocol error).</exception>
    public async Task<ResultMessage> InvokeAsync(ReadOnlyMemory<byte> sealedInput, CancellationToken cancellationToken = default)
    {
        var id = Interlocked.Increment(ref _nextInvocation);
        // The sealed input goes from the caller's buffer to the pipe behind a small CBOR prefix: no copy of the payload.
        var frame = await RoundTripAsync(MessageType.Invoke, InvokeMessage.EncodePrefix(id, sealedInput.Length), sealedInput, MessageType.Result, cancellationToken, _answerPoll).ConfigureAwait(false);
        var result = ResultMessage.Decode(frame.Body);
        if (result.InvocationId != id)
        {
            _lost = true;
            throw new EnclaveException($"the enclave answered invocation {result.InvocationId} to request {id}", enclaveLost: true);
        }

        return result;
    }

    /// <summary>Asks the enclave to zero everything and exit; kills it if it does not within 2 s.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited && !_lost)
        {
            try
            {
                await _channel.WriteAsync(MessageType.Shutdown, Array.Empty<byte>()).ConfigureAwait(false);
                using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await _process.WaitForExitAsync(wait.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException or InvalidOperationException)
            {
                // Not answering a shutdown is answered by a kill below.
            }
        }

        Kill(_process);
        await _channel.DisposeAsync().ConfigureAwait(false);
        await _stderrPump.ConfigureAwait(false);
        _reader.Join(TimeSpan.FromSeconds(5));

        // A request still in flight ends now that the process is gone (its reader saw the end of the pipe); only then
        // may the lane be unmapped, since that request may still touch it. One that does not end keeps the mapping.
        if (await _requestLock.WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false))
        {
            _lane?.Dispose();
            _requestLock.Dispose();
        }

        _process.Dispose();
    }

    /// <summary>Kills the enclave process at once (e.g. to recover from a hung function).</summary>
    public void Kill()
    {
        _lost = true;
        Kill(_process);
    }

    private async Task<Frame> RoundTripAsync(MessageType type, ReadOnlyMemory<byte> head, ReadOnlyMemory<byte> tail, MessageType expected, CancellationToken cancellationToken, TimeSpan poll)
    {
        await _requestLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (IsLost)
            {
                throw new EnclaveException($"the enclave process {ProcessId} is gone (exit code {ExitCodeOf(_process)})", enclaveLost: true);
            }

            var answer = new TaskCompletionSource<Frame?>(TaskCreationOptions.RunContinuationsAsynchronously);
            lock (_gate)
            {
                if (_readerDone)
                {
                    _lost = true;
                    throw new EnclaveException($"the enclave process {ProcessId} closed its channel before {type}", enclaveLost: true);
                }

                _pending = answer;
            }

            Frame? frame;
            try
            {
                if (_lane is not null && _lane.ToEnclave.TryPublish(type, head.Span, tail.Span))
                {
                    if (_lane.ToEnclave.ReaderAsleep)
                    {
                        await _channel.WriteAsync(MessageType.Doorbell, ReadOnlyMemory<byte>.Empty, cancellationToken).ConfigureAwait(false);
                    }
                }
                else
                {
                    await _channel.WriteAsync(type, head, tail, cancellationToken).ConfigureAwait(false);
                }

                // With a lane, the answer may come through it whichever way the request went (and a stale doorbell
                // through the pipe), so the wait is the lane's.
                frame = _lane is not null
                    ? await AwaitLaneAnswerAsync(_lane.ToHost, answer, poll, cancellationToken).ConfigureAwait(false)
                    : await answer.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // The enclave will still answer this request; nobody would take the answer, so it cannot be reused.
                Kill();
                throw;
            }
            catch (Exception e) when (e is IOException or ProtocolException or ObjectDisposedException)
            {
                _lost = true;
                throw new EnclaveException($"the enclave process {ProcessId} was lost during {type}: {e.Message}", enclaveLost: true, e);
            }

            if (frame is null)
            {
                _lost = true;
                await WaitBrieflyForExitAsync().ConfigureAwait(false);
                throw new EnclaveException($"the enclave process {ProcessId} exited during {type} (exit code {ExitCodeOf(_process)})", enclaveLost: true);
            }

            if (frame.Value.Type == MessageType.Failure)
            {
                var failure = FailureMessage.Decode(frame.Value.Body);
                _lost |= failure.Fatal;
                throw new EnclaveException($"the enclave refused {type}: {failure.Message}", failure.Fatal, reason: failure.Reason);
            }

            if (frame.Value.Type != expected)
            {
                _lost = true;
                throw new EnclaveException($"the enclave answered {type} with {frame.Value.Type}", enclaveLost: true);
            }

            return frame.Value;
        }
        finally
        {
            _requestLock.Release();
        }
    }

    /// <summary>
    /// Waits for an answer that may come through the lane or the pipe: polls the lane first (when a polling slot is
    /// free), then announces sleep and waits for the reader thread to hand over a pipe frame or a doorbell. Stale
    /// doorbells (for an answer already taken) only cause another look.
    /// </summary>
    private async Task<Frame?> AwaitLaneAnswerAsync(Mailbox inbound, TaskCompletionSource<Frame?> answer, TimeSpan poll, CancellationToken cancellationToken)
    {
        if (poll > TimeSpan.Zero && SpinBudget.TryEnter())
        {
            try
            {
                SpinBudget.PollFor(inbound, poll, () => answer.Task.IsCompleted || cancellationToken.IsCancellationRequested);
            }
            finally
            {
                SpinBudget.Exit();
            }
        }

        while (true)
        {
            if (TakeFromLane(inbound, answer) is { } polled)
            {
                return polled;
            }

            inbound.Sleep();
            if (TakeFromLane(inbound, answer) is { } late)
            {
                inbound.Wake();
                return late;
            }

            var frame = await answer.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            inbound.Wake();
            if (frame is not { Type: MessageType.Doorbell })
            {
                return frame;
            }

            // Rung: the answer is in the lane (or the doorbell was stale). Arm a fresh waiter before looking again.
            answer = Arm();
        }
    }

    private Frame? TakeFromLane(Mailbox inbound, TaskCompletionSource<Frame?> answer)
    {
        if (!inbound.TryTake(length => new byte[length], out var frame))
        {
            return null;
        }

        lock (_gate)
        {
            if (_pending == answer)
            {
                _pending = null;
            }
        }

        return frame;
    }

    /// <summary>Registers a fresh waiter for the reader thread's next frame.</summary>
    private TaskCompletionSource<Frame?> Arm()
    {
        var answer = new TaskCompletionSource<Frame?>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            if (_readerDone)
            {
                answer.TrySetResult(null);
            }
            else
            {
                _pending = answer;
            }
        }

        return answer;
    }

    private static void DropLane(SharedLane? lane)
    {
        if (lane is not null)
        {
            lane.Unlink();
            lane.Dispose();
        }
    }

    /// <summary>Reads every answer on the dedicated thread and hands it to the request waiting for it.</summary>
    private void ReadLoop()
    {
        while (true)
        {
            Frame? frame = null;
            Exception? fault = null;
            try
            {
                frame = _channel.Read();
            }
            catch (Exception e) when (e is IOException or ProtocolException or ObjectDisposedException)
            {
                fault = e;
            }

            TaskCompletionSource<Frame?>? waiter;
            var done = frame is null;
            lock (_gate)
            {
                waiter = _pending;
                _pending = null;
                _readerDone |= done;
            }

            if (frame is { Type: MessageType.Doorbell } && waiter is null)
            {
                // A doorbell for an answer the caller already took from the lane.
                continue;
            }

            if (waiter is null && !done)
            {
                // An answer nobody asked for: the enclave and this host disagree about the conversation.
                _lost = true;
                Kill(_process);
                continue;
            }

            if (fault is not null)
            {
                _lost = true;
                waiter?.TrySetException(fault);
            }
            else
            {
                waiter?.TrySetResult(frame);
            }

            if (done)
            {
                return;
            }
        }
    }

    private async Task WaitBrieflyForExitAsync()
    {
        try
        {
            using var wait = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
            await _process.WaitForExitAsync(wait.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            Kill(_process);
        }
    }

    /// <summary>How an enclave that refuses to start begins the stderr line that says why (see the enclave's <c>EnclaveMain</c>).</summary>
    private const string CannotStartPrefix = "carapace-enclave: cannot start:";

    /// <summary>How long an enclave that exited before ready is given to finish writing its stderr and be reaped.</summary>
    private static readonly TimeSpan StderrDrain = TimeSpan.FromSeconds(5);

    private static async Task WaitQuietlyAsync(Task task, TimeSpan bound)
    {
        try
        {
            await task.WaitAsync(bound).ConfigureAwait(false);
        }
        catch (Exception e) when (e is TimeoutException or IOException or ObjectDisposedException or InvalidOperationException)
        {
            // Whatever it had said is passed on; a reason is a courtesy, not a condition of reporting the failure.
        }
    }

    private static string ExitCodeOf(Process process) => process.HasExited ? process.ExitCode.ToString(System.Globalization.CultureInfo.InvariantCulture) : "still running";

    private static void Kill(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    /// <summary>The dotnet host running this process (so enclaves use the same runtime), else "dotnet" on PATH.</summary>
    private static string DotnetHost() =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host
        : Environment.ProcessPath is { } self && Path.GetFileNameWithoutExtension(self) == "dotnet" ? self
        : "dotnet";
}
