namespace Carapace.Enclave.Tests.Wasi.Support;

/// <summary>A clock that moves only when told to (timestamps in nanoseconds). Timers are not supported.</summary>
internal sealed class ManualTimeProvider(DateTimeOffset utcNow, long timestampNanoseconds = 123_456_789) : TimeProvider
{
    private long _nanoseconds = timestampNanoseconds;
    private DateTimeOffset _utcNow = utcNow;

    public override long TimestampFrequency => 1_000_000_000;

    public override long GetTimestamp() => _nanoseconds;

    public override DateTimeOffset GetUtcNow() => _utcNow;

    public void Advance(long nanoseconds)
    {
        _nanoseconds += nanoseconds;
        _utcNow = _utcNow.AddTicks(nanoseconds / 100);
    }
}
