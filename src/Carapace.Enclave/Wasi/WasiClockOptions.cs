namespace Carapace.Enclave.Wasi;

/// <summary>
/// The clocks a function is granted. Every time the guest reads (<c>clock_time_get</c>) is rounded down to
/// <see cref="ResolutionNanoseconds"/>, and <c>clock_res_get</c> reports that resolution for every clock, so a function
/// cannot build a finer timer from the host's clocks. The monotonic clock starts at a random offset chosen per
/// invocation (never the host's boot time); the CPU-time clocks report the time since the invocation started.
/// </summary>
public sealed class WasiClockOptions
{
    /// <summary>The default resolution: 1 ms.</summary>
    public const long DefaultResolutionNanoseconds = 1_000_000;

    /// <summary>The granted resolution in nanoseconds (at least 1); times are rounded down to a multiple of it.</summary>
    public long ResolutionNanoseconds { get; init; } = DefaultResolutionNanoseconds;

    /// <summary>
    /// Whether the guest may read the real date and time. When false, the realtime clock does not fail (Rust's
    /// <c>SystemTime::now()</c> would panic and C's <c>time()</c> would return -1): it reports the time elapsed since
    /// the invocation started, counted from the Unix epoch, i.e. it starts at 1970-01-01T00:00:00Z and reveals nothing
    /// about the host's date.
    /// </summary>
    public bool RealtimeGranted { get; init; }
}
