using System.Diagnostics;
using Carapace.Functions;
using Carapace.Protocol;
using Jint;

namespace Carapace.Enclave.Js;

/// <summary>
/// The limits of one JavaScript run, checked before every statement: the statement budget (the manifest's fuel; the
/// count is reported as fuel used either way), the wall-clock deadline (the manifest's timeout, counted from the start
/// of the run and covering timer waits), and every <see cref="JavaScriptSettings.MemoryCheckInterval"/> statements the
/// managed heap above the enclave's own baseline against the manifest's memory limit (a full collection first decides
/// whether the excess is live). Exceeding one ends the run with a <see cref="JsStop"/> the script cannot catch.
/// </summary>
internal sealed class JsLimits(FunctionManifest manifest, long baseline) : Constraint
{
    private readonly long _start = Stopwatch.GetTimestamp();
    private readonly long _deadline = Stopwatch.GetTimestamp() + (long)(manifest.TimeoutMilliseconds * (Stopwatch.Frequency / 1000.0));
    private long _counted;

    /// <summary>Statements the action ran (its top-level code, main and callbacks; not the prelude).</summary>
    public long Statements { get; private set; }

    /// <summary>The most heap above the baseline seen at a check.</summary>
    public long PeakBytes { get; private set; }

    /// <summary>From the start of the run to the end of the prelude (the engine's set-up).</summary>
    public long InstantiateMicros { get; private set; }

    /// <summary>The prelude ran: count from here.</summary>
    public void Started()
    {
        InstantiateMicros = (long)Stopwatch.GetElapsedTime(_start).TotalMicroseconds;
        _counted = 0;
        Statements = 0;
    }

    public override void Check()
    {
        Statements++;
        if (manifest.Fuel > 0 && Statements > manifest.Fuel)
        {
            throw new JsStop(InvocationStatus.FuelExhausted);
        }

        if (++_counted >= JavaScriptSettings.MemoryCheckInterval)
        {
            _counted = 0;
            CheckTimeAndMemory();
        }
    }

    public override void Reset()
    {
        // The limits cover the whole run (top-level code, main, every callback): nothing restarts per entry.
    }

    /// <summary>Waits <paramref name="delay"/> for a timer, or until the deadline, which then ends the run.</summary>
    public void Wait(TimeSpan delay)
    {
        var left = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), _deadline);
        if (left <= TimeSpan.Zero || delay >= left)
        {
            if (left > TimeSpan.Zero)
            {
                Thread.Sleep(left);
            }

            throw new JsStop(InvocationStatus.Timeout);
        }

        if (delay > TimeSpan.Zero)
        {
            Thread.Sleep(delay);
        }
    }

    private void CheckTimeAndMemory()
    {
        if (Stopwatch.GetTimestamp() > _deadline)
        {
            throw new JsStop(InvocationStatus.Timeout);
        }

        var used = GC.GetTotalMemory(forceFullCollection: false) - baseline;
        if (used > manifest.MemoryBytes)
        {
            GC.Collect();
            used = GC.GetTotalMemory(forceFullCollection: false) - baseline;
            if (used > manifest.MemoryBytes)
            {
                PeakBytes = Math.Max(PeakBytes, used);
                throw new JsStop(InvocationStatus.MemoryLimit);
            }
        }

        PeakBytes = Math.Max(PeakBytes, used);
    }
}

/// <summary>Ends a JavaScript run at a limit; not a JavaScript error, so no <c>catch</c> in the script sees it.</summary>
internal sealed class JsStop(InvocationStatus status) : Exception(status.ToString())
{
    public InvocationStatus Status { get; } = status;
}
