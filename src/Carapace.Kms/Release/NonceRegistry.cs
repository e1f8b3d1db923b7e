using System.Security.Cryptography;
using Carapace.Kms.Client.Release;

namespace Carapace.Kms.Release;

/// <summary>
/// Issues attestation nonces and accepts each exactly once before it expires. Nonces are 32 random bytes with a
/// lifetime (default 60 s) measured on the injected <see cref="TimeProvider"/>. Used nonces are remembered until one
/// lifetime after their expiry, so a replay is reported as such; after that it is simply unknown. At most
/// <c>capacity</c> nonces are tracked: issuing more fails (<see cref="KmsDenialReason.TooManyNonces"/>) rather than
/// forgetting live ones. Thread-safe.
/// </summary>
public sealed class NonceRegistry
{
    /// <summary>The size of a nonce in bytes.</summary>
    public const int NonceSize = 32;

    private readonly TimeProvider _time;
    private readonly TimeSpan _lifetime;
    private readonly int _capacity;
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly Queue<(string Key, DateTimeOffset ForgetAt)> _order = new();
    private readonly Lock _lock = new();

    /// <summary>Creates a registry.</summary>
    /// <param name="time">The clock.</param>
    /// <param name="lifetime">How long a nonce stays usable (more than zero, at most one hour).</param>
    /// <param name="capacity">How many nonces may be tracked at once (at least 1).</param>
    public NonceRegistry(TimeProvider time, TimeSpan lifetime, int capacity)
    {
        ArgumentNullException.ThrowIfNull(time);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(lifetime, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(lifetime, TimeSpan.FromHours(1));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        _time = time;
        _lifetime = lifetime;
        _capacity = capacity;
    }

    /// <summary>How many nonces are tracked (issued and not yet forgotten).</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _entries.Count;
            }
        }
    }

    /// <summary>Issues a fresh nonce.</summary>
    /// <exception cref="KmsDeniedException">With <see cref="KmsDenialReason.TooManyNonces"/> when the registry is full.</exception>
    public IssuedNonce Issue()
    {
        var value = RandomNumberGenerator.GetBytes(NonceSize);
        lock (_lock)
        {
            var now = _time.GetUtcNow();
            Forget(now);
            if (_entries.Count >= _capacity)
            {
                throw new KmsDeniedException(KmsDenialReason.TooManyNonces,
                    $"{_capacity} attestation nonces are outstanding; try again in {_lifetime.TotalSeconds:0} s");
            }

            var expires = now + _lifetime;
            var key = Convert.ToHexString(value);
            _entries.Add(key, new Entry(expires));
            _order.Enqueue((key, expires + _lifetime));
            return new IssuedNonce(value, expires);
        }
    }

    /// <summary>Accepts <paramref name="nonce"/> once: it must have been issued here, be unused and not expired.</summary>
    /// <exception cref="KmsDeniedException">With <see cref="KmsDenialReason.NonceUnknown"/>, <see cref="KmsDenialReason.NonceReplayed"/>
    /// or <see cref="KmsDenialReason.NonceExpired"/>.</exception>
    public void Consume(ReadOnlySpan<byte> nonce)
    {
        var key = Convert.ToHexString(nonce);
        lock (_lock)
        {
            var now = _time.GetUtcNow();
            Forget(now);
            if (nonce.Length != NonceSize || !_entries.TryGetValue(key, out var entry))
            {
                throw new KmsDeniedException(KmsDenialReason.NonceUnknown,
                    "the attestation nonce was not issued by this KMS (or expired long ago); ask for a fresh nonce and attest again");
            }

            if (entry.Used)
            {
                throw new KmsDeniedException(KmsDenialReason.NonceReplayed,
                    "the attestation nonce was already used: evidence is accepted once; this looks like a replay. Ask for a fresh nonce");
            }

            entry.Used = true;
            if (now >= entry.ExpiresAt)
            {
                throw new KmsDeniedException(KmsDenialReason.NonceExpired,
                    $"the attestation nonce expired at {entry.ExpiresAt:O} (it is now {now:O}); ask for a fresh nonce and attest within {_lifetime.TotalSeconds:0} s");
            }
        }
    }

    private void Forget(DateTimeOffset now)
    {
        while (_order.TryPeek(out var oldest) && oldest.ForgetAt <= now)
        {
            _order.Dequeue();
            _entries.Remove(oldest.Key);
        }
    }

    private sealed class Entry(DateTimeOffset expiresAt)
    {
        public DateTimeOffset ExpiresAt { get; } = expiresAt;

        public bool Used { get; set; }
    }
}
