using System.Text;
using Carapace.Client.Invocation;
using Carapace.Kms.Client.Release;
using Microsoft.Extensions.Time.Testing;

namespace Carapace.Client.Tests.Invocation;

/// <summary>The on-disk key cache: encrypted at rest, bounded in time, scoped to one platform and chain, and never trusted when damaged.</summary>
public sealed class ChainKeyCacheTests : IDisposable
{
    private const string Policy = """{"namespace":"guest","version":7}""";
    private static readonly string s_scope = ChainKeyCache.Scope(new Uri("https://127.0.0.1:3233/"), "AB12", "guest", "cli", "hello");

    private readonly string _dir = Path.Combine(Path.GetTempPath(), "carapace-key-cache-tests", Guid.NewGuid().ToString("N"));
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 5, 1, 9, 0, 0, TimeSpan.Zero));

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private ChainKeyCache Cache(TimeSpan? lifetime = null) => new(_dir, lifetime ?? TimeSpan.FromMinutes(10), _time);

    /// <summary>Client keys of a one-step chain with recognisable key bytes.</summary>
    private static ChainKeys Keys(byte fill = 0x5a)
    {
        var key = Convert.ToBase64String(Enumerable.Repeat(fill, 32).ToArray());
        var json = $$"""
            {"namespace":"guest","chain":"hello","steps":1,"policyVersion":7,
             "edges":[{"from":0,"to":1,"key":"{{key}}"},{"from":1,"to":2,"key":"{{key}}"},{"from":1,"to":0,"key":"{{key}}"}]}
            """;
        return ChainKeys.Import(Encoding.UTF8.GetBytes(json));
    }

    private string Entry() => Assert.Single(Directory.GetFiles(_dir, "*.entry"));

    [Fact]
    public void Keys_come_back_as_stored_and_are_not_readable_on_disk()
    {
        using (var keys = Keys())
        {
            Cache().Store(s_scope, keys, Policy);
        }

        Assert.True(Cache().TryLoad(s_scope, out var loaded, out var policy));
        using (loaded)
        {
            Assert.Equal(Policy, policy);
            Assert.Equal(("guest", "hello", 1, 7UL), (loaded!.Namespace, loaded.Chain, loaded.Steps, loaded.PolicyVersion));
            using var reference = Keys();
            Assert.Equal(reference.Entry.Id, loaded.Entry.Id);
            Assert.Equal(reference.Exit.Id, loaded.Exit.Id);
        }

        var bytes = File.ReadAllBytes(Entry());
        Assert.Equal(-1, bytes.AsSpan().IndexOf(Enumerable.Repeat((byte)0x5a, 32).ToArray()));
        Assert.Equal(-1, bytes.AsSpan().IndexOf(Encoding.ASCII.GetBytes(Convert.ToBase64String(Enumerable.Repeat((byte)0x5a, 32).ToArray()))));
        Assert.Equal(-1, bytes.AsSpan().IndexOf("guest"u8));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Entry()));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(_dir, "cache.key")));
        }
    }

    [Fact]
    public void An_entry_expires_after_its_lifetime_and_is_deleted()
    {
        using (var keys = Keys())
        {
            Cache().Store(s_scope, keys, Policy);
        }

        _time.Advance(TimeSpan.FromMinutes(10) - TimeSpan.FromSeconds(1));
        Assert.True(Cache().TryLoad(s_scope, out var fresh, out _));
        fresh!.Dispose();
        // A shorter lifetime applies to entries written under a longer one.
        Assert.False(Cache(TimeSpan.FromMinutes(5)).TryLoad(s_scope, out _, out _));
        Assert.Empty(Directory.GetFiles(_dir, "*.entry"));
    }

    [Fact]
    public void An_entry_from_the_future_is_not_used()
    {
        // Written while the clock was an hour ahead (then set back): its age cannot be told, so it is not used.
        using (var keys = Keys())
        {
            new ChainKeyCache(_dir, TimeSpan.FromMinutes(10), new FakeTimeProvider(_time.GetUtcNow() + TimeSpan.FromHours(1))).Store(s_scope, keys, Policy);
        }

        Assert.False(Cache().TryLoad(s_scope, out _, out _));
        Assert.Empty(Directory.GetFiles(_dir, "*.entry"));
    }

    [Fact]
    public void An_altered_truncated_or_moved_entry_is_a_miss_and_is_deleted()
    {
        using var keys = Keys();
        var cache = Cache();

        cache.Store(s_scope, keys, Policy);
        var path = Entry();
        var bytes = File.ReadAllBytes(path);
        bytes[^5] ^= 0x01;
        File.WriteAllBytes(path, bytes);
        Assert.False(cache.TryLoad(s_scope, out _, out _));
        Assert.False(File.Exists(path));

        cache.Store(s_scope, keys, Policy);
        File.WriteAllBytes(path, File.ReadAllBytes(path)[..20]);
        Assert.False(cache.TryLoad(s_scope, out _, out _));

        // Another scope's entry copied over this one's name (a file swapped on disk) does not decrypt for this scope.
        var other = ChainKeyCache.Scope(new Uri("https://127.0.0.1:3233/"), "FFFF", "guest", "cli", "hello");
        cache.Store(other, keys, Policy);
        var otherPath = Directory.GetFiles(_dir, "*.entry").Single();
        File.Copy(otherPath, path, overwrite: true);
        Assert.False(cache.TryLoad(s_scope, out _, out _));
        Assert.True(cache.TryLoad(other, out var stillThere, out _));
        stillThere!.Dispose();
    }

    [Fact]
    public void A_replaced_or_damaged_cache_key_makes_every_entry_a_miss()
    {
        using var keys = Keys();
        Cache().Store(s_scope, keys, Policy);
        var keyFile = Path.Combine(_dir, "cache.key");

        File.Delete(keyFile);
        Assert.False(Cache().TryLoad(s_scope, out _, out _));

        Cache().Store(s_scope, keys, Policy);
        File.WriteAllBytes(keyFile, new byte[7]);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(keyFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        Assert.False(Cache().TryLoad(s_scope, out _, out _));
        Assert.Empty(Directory.GetFiles(_dir, "*.entry"));
    }

    [Fact]
    public void Forget_and_clear_drop_entries()
    {
        using var keys = Keys();
        var cache = Cache();
        var other = ChainKeyCache.Scope(new Uri("https://127.0.0.1:3233/"), "AB12", "guest", "cli", "pipeline");
        cache.Store(s_scope, keys, Policy);
        cache.Store(other, keys, Policy);

        cache.Forget(s_scope);
        Assert.False(cache.TryLoad(s_scope, out _, out _));
        Assert.Equal(1, cache.Clear());
        Assert.False(cache.TryLoad(other, out _, out _));
        Assert.Equal(0, new ChainKeyCache(Path.Combine(_dir, "missing"), TimeSpan.FromMinutes(1)).Clear());
    }

    [Fact]
    public void Lifetimes_outside_the_bounds_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Cache(TimeSpan.Zero));
        Assert.Throws<ArgumentOutOfRangeException>(() => Cache(ChainKeyCache.MaxLifetime + TimeSpan.FromSeconds(1)));
    }
}
