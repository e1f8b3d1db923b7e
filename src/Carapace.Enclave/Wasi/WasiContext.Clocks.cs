using System.Security.Cryptography;
using Wasmtime;

namespace Carapace.Enclave.Wasi;

// Clocks and sleeping. All clocks derive from the invocation's start (TimeProvider timestamps), except a granted
// realtime clock, which reads TimeProvider.GetUtcNow(). Every value the guest sees is rounded down to the resolution.
public sealed partial class WasiContext
{
    private const long NanosecondsPerSecond = 1_000_000_000;
    private const long NanosecondsPerMillisecond = 1_000_000;

    private TimeProvider _time = TimeProvider.System;
    private CancellationToken _deadline;
    private ulong _resolution;
    private bool _realtimeGranted;
    private long _startTimestamp;
    private ulong _monotonicOffset;

    internal Errno ClockResGet(Caller caller, int id, int resultPtr)
    {
        if ((uint)id > WasiAbi.ClockThreadCpuTime)
        {
            return Errno.Inval;
        }

        return Guest(caller).TryWriteUInt64((uint)resultPtr, _resolution) ? Errno.Success : Errno.Fault;
    }

    /// <summary><c>clock_time_get</c>; the precision the guest asks for is ignored (it always gets the granted resolution).</summary>
    internal Errno ClockTimeGet(Caller caller, int id, int resultPtr)
    {
        if ((uint)id > WasiAbi.ClockThreadCpuTime)
        {
            return Errno.Inval;
        }

        return Guest(caller).TryWriteUInt64((uint)resultPtr, Now((uint)id)) ? Errno.Success : Errno.Fault;
    }

    /// <summary>The value the guest reads from clock <paramref name="id"/> (valid ids only), rounded down to the resolution.</summary>
    internal ulong Now(uint id)
    {
        var raw = id switch
        {
            WasiAbi.ClockRealtime when _realtimeGranted => RealtimeNanoseconds(),
            WasiAbi.ClockMonotonic => _monotonicOffset + ElapsedNanoseconds(),
            _ => ElapsedNanoseconds(), // realtime not granted (counts from the epoch), process and thread CPU time
        };
        return raw - (raw % _resolution);
    }

    /// <summary>Nanoseconds since the invocation started (not rounded).</summary>
    internal ulong ElapsedNanoseconds()
    {
        var ticks = _time.GetTimestamp() - _startTimestamp;
        if (ticks <= 0)
        {
            return 0;
        }

        var frequency = _time.TimestampFrequency;
        return frequency == NanosecondsPerSecond
            ? (ulong)ticks
            : (ulong)((UInt128)(ulong)ticks * NanosecondsPerSecond / (ulong)frequency);
    }

    /// <summary>Converts a subscription's timeout to a target on the elapsed-time scale; false for an unknown clock.</summary>
    private bool TryTarget(uint id, ulong timeout, bool absolute, ulong elapsedNow, out ulong target)
    {
        target = 0;
        if (id > WasiAbi.ClockThreadCpuTime)
        {
            return false;
        }

        if (!absolute)
        {
            target = SaturatingAdd(elapsedNow, timeout);
            return true;
        }

        switch (id)
        {
            case WasiAbi.ClockMonotonic:
                target = timeout > _monotonicOffset ? timeout - _monotonicOffset : 0;
                break;
            case WasiAbi.ClockRealtime when _realtimeGranted:
                var realNow = RealtimeNanoseconds();
                target = timeout > realNow ? SaturatingAdd(elapsedNow, timeout - realNow) : 0;
                break;
            default:
                target = timeout; // these clocks count the elapsed time itself
                break;
        }

        return true;
    }

    /// <summary>Blocks until the elapsed time reaches <paramref name="target"/> or the deadline fires, whichever is first.</summary>
    private void SleepUntil(ulong target)
    {
        while (!_deadline.IsCancellationRequested)
        {
            var now = ElapsedNanoseconds();
            if (now >= target)
            {
                return;
            }

            // Waits have millisecond granularity: round up (never wake early for good), and wait at most a day at a time.
            var wait = TimeSpan.FromMilliseconds(Math.Min((target - now + NanosecondsPerMillisecond - 1) / NanosecondsPerMillisecond, (ulong)TimeSpan.FromDays(1).TotalMilliseconds));
            if (ReferenceEquals(_time, TimeProvider.System))
            {
                // A timed wait on the deadline's handle: wakes within a fraction of a millisecond of either event.
                _deadline.WaitHandle.WaitOne(wait);
                continue;
            }

            var delay = Task.Delay(wait, _time, _deadline);
            try
            {
                delay.Wait(CancellationToken.None);
            }
            catch (AggregateException) when (delay.IsCanceled)
            {
                return;
            }
        }
    }

    private void InitializeClocks(WasiOptions options)
    {
        _time = options.TimeProvider;
        _deadline = options.Deadline;
        _resolution = (ulong)options.Clock.ResolutionNanoseconds;
        _realtimeGranted = options.Clock.RealtimeGranted;
        _startTimestamp = _time.GetTimestamp();

        // A random start for the monotonic clock, between ~18 minutes and ~13 days: it says nothing about the host's
        // uptime and differs between invocations.
        Span<byte> random = stackalloc byte[8];
        RandomNumberGenerator.Fill(random);
        _monotonicOffset = (1UL << 40) + (BitConverter.ToUInt64(random) % ((1UL << 50) - (1UL << 40)));
    }

    private ulong RealtimeNanoseconds()
    {
        var ticks = _time.GetUtcNow().UtcTicks - DateTime.UnixEpoch.Ticks;
        return ticks <= 0 ? 0 : (ulong)ticks * 100;
    }

    private static ulong SaturatingAdd(ulong a, ulong b) => a > ulong.MaxValue - b ? ulong.MaxValue : a + b;
}
