using System.Diagnostics;
using System.Runtime.Versioning;
using Carapace.Enclave.Tests.Wasi.Support;
using Carapace.Enclave.Wasi;
using Xunit;

namespace Carapace.Enclave.Tests.Wasi;

/// <summary>clock_res_get, clock_time_get and poll_oneoff.</summary>
[SupportedOSPlatform("linux")]
public sealed class WasiClockTests
{
    private const int Realtime = 0, Monotonic = 1, Process = 2, Thread = 3;
    private const long Ms = 1_000_000;
    private static readonly DateTimeOffset _utc = new(2024, 5, 6, 7, 8, 9, TimeSpan.Zero);

    [Fact]
    public void Resolution_is_reported_for_every_clock_and_unknown_clocks_are_EINVAL()
    {
        using var probe = new WasiProbe();
        foreach (var id in new[] { Realtime, Monotonic, Process, Thread })
        {
            Assert.Equal(Errno.Success, probe.Call("clock_res_get", id, 100));
            Assert.Equal((ulong)Ms, probe.U64(100));
        }

        Assert.Equal(Errno.Inval, probe.Call("clock_res_get", 4, 100));
        Assert.Equal(Errno.Inval, probe.Call("clock_time_get", 4, 0L, 100));
        Assert.Equal(Errno.Inval, probe.Call("clock_time_get", -1, 0L, 100));
    }

    [Fact]
    public void Times_are_rounded_down_to_the_resolution()
    {
        var time = new ManualTimeProvider(_utc.AddTicks(1_234_567)); // .1234567 s
        using var probe = new WasiProbe(new WasiOptions { TimeProvider = time, Clock = new WasiClockOptions { RealtimeGranted = true } });
        ulong Read(int id)
        {
            Assert.Equal(Errno.Success, probe.Call("clock_time_get", id, 1L, 100));
            return probe.U64(100);
        }

        var epochNs = (ulong)(_utc - DateTimeOffset.UnixEpoch).Ticks * 100;
        Assert.Equal(epochNs + (123 * Ms), Read(Realtime));
        Assert.Equal(0UL, Read(Process));
        Assert.Equal(0UL, Read(Thread));
        var m0 = Read(Monotonic);
        Assert.Equal(0UL, m0 % Ms);
        Assert.True(m0 >= 1UL << 40, "the monotonic clock starts at an arbitrary offset, not at 0 or the host's uptime");

        time.Advance((Ms / 2) - 1); // still inside the same millisecond for the CPU-time clocks
        Assert.Equal(0UL, Read(Process));
        Assert.Equal(0UL, Read(Thread));
        time.Advance((Ms / 2) + 1); // 1 ms after the start
        Assert.Equal((ulong)Ms, Read(Process));
        Assert.Equal(epochNs + (124 * Ms), Read(Realtime));
        Assert.Equal(m0 + (ulong)Ms, Read(Monotonic));
        time.Advance(1_999_999);
        Assert.Equal(2 * (ulong)Ms, Read(Process));
        Assert.Equal(0UL, Read(Monotonic) % Ms);
    }

    [Fact]
    public void Realtime_not_granted_counts_from_the_epoch_at_the_invocation_start()
    {
        var time = new ManualTimeProvider(_utc);
        using var probe = new WasiProbe(new WasiOptions { TimeProvider = time });
        Assert.Equal(Errno.Success, probe.Call("clock_time_get", Realtime, 0L, 100));
        Assert.Equal(0UL, probe.U64(100));
        time.Advance((2500 * Ms) + 7);
        Assert.Equal(Errno.Success, probe.Call("clock_time_get", Realtime, 0L, 100));
        Assert.Equal(2500UL * (ulong)Ms, probe.U64(100));
    }

    [Theory]
    [InlineData(1L)]
    [InlineData(1_000L)]
    [InlineData(1_000_000_000L)]
    public void Other_resolutions_round_accordingly(long resolution)
    {
        var time = new ManualTimeProvider(_utc.AddTicks(9_999_999));
        using var probe = new WasiProbe(new WasiOptions { TimeProvider = time, Clock = new WasiClockOptions { ResolutionNanoseconds = resolution, RealtimeGranted = true } });
        Assert.Equal(Errno.Success, probe.Call("clock_res_get", Realtime, 100));
        Assert.Equal((ulong)resolution, probe.U64(100));
        Assert.Equal(Errno.Success, probe.Call("clock_time_get", Realtime, 0L, 100));
        var exact = ((ulong)(_utc - DateTimeOffset.UnixEpoch).Ticks * 100) + 999_999_900;
        Assert.Equal(exact - (exact % (ulong)resolution), probe.U64(100));
        time.Advance(12_345);
        Assert.Equal(Errno.Success, probe.Call("clock_time_get", Process, 0L, 100));
        Assert.Equal(12_345UL - (12_345UL % (ulong)resolution), probe.U64(100));
    }

    [Fact]
    public void Monotonic_clock_never_goes_back_and_differs_between_invocations()
    {
        using var a = new WasiProbe();
        using var b = new WasiProbe();
        ulong Read(WasiProbe p)
        {
            Assert.Equal(Errno.Success, p.Call("clock_time_get", Monotonic, 0L, 100));
            return p.U64(100);
        }

        var previous = Read(a);
        for (var i = 0; i < 10_000; i++)
        {
            var now = Read(a);
            Assert.True(now >= previous);
            Assert.Equal(0UL, now % Ms);
            previous = now;
        }

        // Random starting points (between ~18 minutes and ~13 days): the same second twice is a one-in-a-million event.
        Assert.NotEqual(Read(a) / (1000 * Ms), Read(b) / (1000 * Ms));
    }

    [Fact]
    public void Poll_with_no_subscriptions_is_EINVAL_and_bad_pointers_fault()
    {
        using var probe = new WasiProbe();
        Assert.Equal(Errno.Inval, probe.Call("poll_oneoff", 0, 1000, 0, 2000));
        WriteClock(probe, 0, 1, Monotonic, 0, false);
        Assert.Equal(Errno.Fault, probe.Call("poll_oneoff", 0, 1000, 1, WasiProbe.MemorySize - 3));
        probe.Write(8, [7]); // no such subscription type
        Assert.Equal(Errno.Inval, probe.Call("poll_oneoff", 0, 1000, 1, 2000));
    }

    [Fact]
    public void Descriptor_subscriptions_are_ready_at_once()
    {
        using var probe = new WasiProbe(new WasiOptions { Stdin = new byte[5], MaxStdoutBytes = 100 });
        WriteFd(probe, 0, 11, 1, 0);                      // fd_read on stdin
        WriteFd(probe, 48, 22, 2, 1);                     // fd_write on stdout
        WriteFd(probe, 96, 33, 1, 77);                    // fd_read on a closed fd
        WriteFd(probe, 144, 44, 1, 1);                    // fd_read on stdout
        WriteClock(probe, 192, 55, Monotonic, 10_000 * Ms, false);
        var watch = Stopwatch.StartNew();
        Assert.Equal(Errno.Success, probe.Call("poll_oneoff", 0, 1000, 5, 2000));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5));
        Assert.Equal(4u, probe.U32(2000));
        Assert.Equal((11UL, Errno.Success, (byte)1, 5UL), Event(probe, 0));
        Assert.Equal((22UL, Errno.Success, (byte)2, 100UL), Event(probe, 1));
        Assert.Equal((33UL, Errno.BadF, (byte)1, 0UL), Event(probe, 2));
        Assert.Equal((44UL, Errno.BadF, (byte)1, 0UL), Event(probe, 3));
    }

    [Fact]
    public void Relative_clock_subscriptions_sleep_until_the_earliest()
    {
        using var probe = new WasiProbe();
        WriteClock(probe, 0, 1, Monotonic, 10_000 * Ms, false);
        WriteClock(probe, 48, 2, Monotonic, 60 * Ms, false);
        WriteClock(probe, 96, 3, Realtime, 0, false);
        var watch = Stopwatch.StartNew();
        Assert.Equal(Errno.Success, probe.Call("poll_oneoff", 0, 1000, 2, 2000)); // the first two only
        Assert.True(watch.Elapsed >= TimeSpan.FromMilliseconds(59), $"woke after {watch.Elapsed}");
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"woke after {watch.Elapsed}");
        Assert.Equal(1u, probe.U32(2000));
        Assert.Equal((2UL, Errno.Success, (byte)0, 0UL), Event(probe, 0));

        // A zero timeout is due at once.
        Assert.Equal(Errno.Success, probe.Call("poll_oneoff", 96, 1000, 1, 2000));
        Assert.Equal(1u, probe.U32(2000));
        Assert.Equal(3UL, Event(probe, 0).Userdata);
    }

    [Fact]
    public void Absolute_clock_subscriptions_sleep_until_that_time()
    {
        using var probe = new WasiProbe();
        Assert.Equal(Errno.Success, probe.Call("clock_time_get", Monotonic, 0L, 100));
        var now = probe.U64(100);
        WriteClock(probe, 0, 9, Monotonic, now + (50 * (ulong)Ms), true);
        // The deadline is absolute on the guest's clock, so the check is on that clock: a stopwatch started after
        // `now` was read would measure from another origin (and fails under load).
        Assert.Equal(Errno.Success, probe.Call("poll_oneoff", 0, 1000, 1, 2000));
        Assert.Equal(1u, probe.U32(2000));
        Assert.Equal(Errno.Success, probe.Call("clock_time_get", Monotonic, 0L, 100));
        Assert.True(probe.U64(100) >= now + (50 * (ulong)Ms), "woke before the absolute time on the guest's clock");
        var watch = Stopwatch.StartNew();

        // In the past: due at once.
        WriteClock(probe, 0, 9, Monotonic, now, true);
        Assert.Equal(Errno.Success, probe.Call("poll_oneoff", 0, 1000, 1, 2000));
        Assert.Equal(1u, probe.U32(2000));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"a past deadline took {watch.Elapsed}");
    }

    [Fact]
    public void Unknown_clock_in_a_subscription_is_an_EINVAL_event()
    {
        using var probe = new WasiProbe();
        WriteClock(probe, 0, 5, 9, 10_000 * Ms, false);
        Assert.Equal(Errno.Success, probe.Call("poll_oneoff", 0, 1000, 1, 2000));
        Assert.Equal(1u, probe.U32(2000));
        Assert.Equal((5UL, Errno.Inval, (byte)0, 0UL), Event(probe, 0));
    }

    [Fact]
    public void Sleep_ends_when_the_deadline_fires()
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        using var probe = new WasiProbe(new WasiOptions { Deadline = deadline.Token });
        WriteClock(probe, 0, 1, Monotonic, 60_000 * Ms, false);
        var watch = Stopwatch.StartNew();
        Assert.Equal(Errno.Success, probe.Call("poll_oneoff", 0, 1000, 1, 2000));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"woke after {watch.Elapsed}");
        Assert.Equal(0u, probe.U32(2000)); // the clock was not due

        // Once the deadline has fired, sleeps do not even start.
        watch.Restart();
        Assert.Equal(Errno.Success, probe.Call("poll_oneoff", 0, 1000, 1, 2000));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(1));
    }

    [Fact]
    public void A_custom_time_provider_sleeps_through_its_own_timers_and_still_honours_the_deadline()
    {
        using var deadline = new CancellationTokenSource();
        using var probe = new WasiProbe(new WasiOptions { TimeProvider = new SystemLikeTimeProvider(), Deadline = deadline.Token });
        WriteClock(probe, 0, 1, Monotonic, 40 * Ms, false);
        var watch = Stopwatch.StartNew();
        Assert.Equal(Errno.Success, probe.Call("poll_oneoff", 0, 1000, 1, 2000));
        Assert.True(watch.Elapsed >= TimeSpan.FromMilliseconds(39), $"woke after {watch.Elapsed}");
        Assert.Equal(1u, probe.U32(2000));

        deadline.CancelAfter(TimeSpan.FromMilliseconds(100));
        WriteClock(probe, 0, 1, Monotonic, 60_000 * Ms, false);
        watch.Restart();
        Assert.Equal(Errno.Success, probe.Call("poll_oneoff", 0, 1000, 1, 2000));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"woke after {watch.Elapsed}");
        Assert.Equal(0u, probe.U32(2000));
    }

    private static void WriteClock(WasiProbe probe, int at, ulong userdata, int clock, ulong timeout, bool absolute)
    {
        probe.Write(at, new byte[48]);
        probe.WriteU64(at, userdata);
        probe.Write(at + 8, [0]);
        probe.WriteU32(at + 16, (uint)clock);
        probe.WriteU64(at + 24, timeout);
        probe.WriteU64(at + 32, 0);
        probe.Write(at + 40, [(byte)(absolute ? 1 : 0), 0]);
    }

    private static void WriteClock(WasiProbe probe, int at, ulong userdata, int clock, long timeout, bool absolute) =>
        WriteClock(probe, at, userdata, clock, (ulong)timeout, absolute);

    private static void WriteFd(WasiProbe probe, int at, ulong userdata, byte type, int fd)
    {
        probe.Write(at, new byte[48]);
        probe.WriteU64(at, userdata);
        probe.Write(at + 8, [type]);
        probe.WriteU32(at + 16, (uint)fd);
    }

    private static (ulong Userdata, Errno Error, byte Type, ulong Bytes) Event(WasiProbe probe, int index)
    {
        var at = 1000 + (index * 32);
        return (probe.U64(at), (Errno)probe.U16(at + 8), probe.U8(at + 10), probe.U64(at + 16));
    }

    /// <summary>The system's clock and timers, but not <see cref="TimeProvider.System"/> itself.</summary>
    private sealed class SystemLikeTimeProvider : TimeProvider;
}
