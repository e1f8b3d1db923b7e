using Carapace.Gateway.Auth;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;

namespace Carapace.Gateway.Tests.Auth;

/// <summary>
/// The in-memory cache of credential rows: a hit still checks the key, a revocation takes effect at once, a deletion by
/// another process within the cache's lifetime, and the cache stays bounded.
/// </summary>
public sealed class CredentialCacheTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "carapace-credential-cache-tests", Guid.NewGuid().ToString("N"));
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    private string File => Path.Combine(_dir, "credentials.db");

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [Fact]
    public void A_cached_credential_still_needs_its_key()
    {
        using var credentials = new NamespaceCredentials(File, _time);
        var alice = credentials.CreateNamespace("alice");
        Assert.True(credentials.TryAuthenticate(alice.Uuid, alice.Key, out var ns));
        Assert.Equal("alice", ns);
        Assert.Equal(1, credentials.CachedCount);

        Assert.False(credentials.TryAuthenticate(alice.Uuid, alice.Key[..^1] + (alice.Key[^1] == 'x' ? 'y' : 'x'), out var wrong));
        Assert.Null(wrong);
        Assert.False(credentials.TryAuthenticate(alice.Uuid, "", out _));
        Assert.True(credentials.TryAuthenticate(alice.Uuid, alice.Key, out _));
    }

    [Fact]
    public void A_revoked_credential_stops_working_at_once()
    {
        using var credentials = new NamespaceCredentials(File, _time);
        var alice = credentials.CreateNamespace("alice");
        var other = credentials.CreateNamespace("alice");
        Assert.True(credentials.TryAuthenticate(alice.Uuid, alice.Key, out _));
        Assert.True(credentials.TryAuthenticate(other.Uuid, other.Key, out _));

        Assert.True(credentials.Revoke(alice.Uuid));

        Assert.False(credentials.TryAuthenticate(alice.Uuid, alice.Key, out _));
        Assert.True(credentials.TryAuthenticate(other.Uuid, other.Key, out _));
        Assert.False(credentials.Revoke(alice.Uuid));
    }

    [Fact]
    public void A_credential_deleted_by_another_process_stops_working_within_the_cache_lifetime()
    {
        using var gateway = new NamespaceCredentials(File, _time);
        var alice = gateway.CreateNamespace("alice");
        Assert.True(gateway.TryAuthenticate(alice.Uuid, alice.Key, out _));

        // Another handle on the same file (an operator's tool) deletes the row behind the gateway's cache.
        using (var tool = new NamespaceCredentials(File))
        {
            Assert.True(tool.Revoke(alice.Uuid));
        }

        Assert.True(gateway.TryAuthenticate(alice.Uuid, alice.Key, out _));
        _time.Advance(CredentialCache.Lifetime);
        Assert.False(gateway.TryAuthenticate(alice.Uuid, alice.Key, out _));
    }

    [Fact]
    public void Unknown_uuids_are_not_cached_and_the_cache_stays_bounded()
    {
        using var credentials = new NamespaceCredentials(File, _time);
        for (var i = 0; i < 50; i++)
        {
            Assert.False(credentials.TryAuthenticate(Guid.NewGuid().ToString("D"), "key", out _));
        }

        Assert.Equal(0, credentials.CachedCount);

        var cache = new CredentialCache(_time);
        for (var i = 0; i < CredentialCache.Capacity * 2 + 3; i++)
        {
            cache.Add($"u{i}", new StoredCredential("ns", [1], [2]), cache.Revocations);
            Assert.InRange(cache.Count, 1, CredentialCache.Capacity);
        }
    }

    [Fact]
    public void A_row_read_while_a_revocation_ran_is_not_cached()
    {
        var cache = new CredentialCache(_time);
        var before = cache.Revocations;
        cache.Forget("u1");
        cache.Add("u1", new StoredCredential("ns", [1], [2]), before);
        Assert.False(cache.TryGet("u1", out _));

        cache.Add("u1", new StoredCredential("ns", [1], [2]), cache.Revocations);
        Assert.True(cache.TryGet("u1", out var stored));
        Assert.Equal("ns", stored.Namespace);
    }
}
