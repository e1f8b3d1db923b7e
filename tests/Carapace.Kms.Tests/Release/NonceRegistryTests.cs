using Carapace.Kms.Client.Release;
using Carapace.Kms.Release;
using Microsoft.Extensions.Time.Testing;

namespace Carapace.Kms.Tests.Release;

public sealed class NonceRegistryTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero));

    private NonceRegistry Registry(int capacity = 100) => new(_time, TimeSpan.FromSeconds(60), capacity);

    private static KmsDenialReason Refused(NonceRegistry registry, ReadOnlyMemory<byte> nonce) =>
        Assert.Throws<KmsDeniedException>(() => registry.Consume(nonce.Span)).Reason;

    [Fact]
    public void Issued_nonces_are_32_random_bytes_that_expire_after_the_lifetime()
    {
        var registry = Registry();

        var a = registry.Issue();
        var b = registry.Issue();

        Assert.Equal(32, a.Value.Length);
        Assert.False(a.Value.Span.SequenceEqual(b.Value.Span));
        Assert.Equal(_time.GetUtcNow().AddSeconds(60), a.ExpiresAt);
    }

    [Fact]
    public void A_nonce_is_accepted_once_and_a_second_use_is_a_replay()
    {
        var registry = Registry();
        var nonce = registry.Issue();

        registry.Consume(nonce.Value.Span);

        Assert.Equal(KmsDenialReason.NonceReplayed, Refused(registry, nonce.Value));
    }

    [Fact]
    public void A_nonce_used_just_before_expiry_is_accepted()
    {
        var registry = Registry();
        var nonce = registry.Issue();
        _time.Advance(TimeSpan.FromSeconds(59.999));

        registry.Consume(nonce.Value.Span);
    }

    [Fact]
    public void A_nonce_used_at_or_after_expiry_is_refused_as_expired()
    {
        var registry = Registry();
        var nonce = registry.Issue();
        _time.Advance(TimeSpan.FromSeconds(60));

        Assert.Equal(KmsDenialReason.NonceExpired, Refused(registry, nonce.Value));
        Assert.Equal(KmsDenialReason.NonceReplayed, Refused(registry, nonce.Value));
    }

    [Fact]
    public void A_nonce_never_issued_is_unknown()
    {
        var registry = Registry();
        registry.Issue();

        Assert.Equal(KmsDenialReason.NonceUnknown, Refused(registry, new byte[32]));
        Assert.Equal(KmsDenialReason.NonceUnknown, Refused(registry, new byte[3]));
    }

    [Fact]
    public void Old_nonces_are_forgotten_after_two_lifetimes_and_stay_refused()
    {
        var registry = Registry();
        var nonce = registry.Issue();
        registry.Consume(nonce.Value.Span);
        _time.Advance(TimeSpan.FromSeconds(120));

        Assert.Equal(KmsDenialReason.NonceUnknown, Refused(registry, nonce.Value));
        Assert.Equal(0, registry.Count);
    }

    [Fact]
    public void Issuing_beyond_capacity_is_refused_until_nonces_are_forgotten()
    {
        var registry = Registry(capacity: 2);
        registry.Issue();
        registry.Issue();

        var e = Assert.Throws<KmsDeniedException>(() => registry.Issue());
        _time.Advance(TimeSpan.FromSeconds(120));
        registry.Issue();

        Assert.Equal(KmsDenialReason.TooManyNonces, e.Reason);
    }
}
