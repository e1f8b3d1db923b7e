using System.Text;
using Carapace.Client.Invocation;
using Carapace.Client.Tests.Support;

namespace Carapace.Client.Tests;

/// <summary>
/// The key cache against a real platform and KMS: a second client run invokes without the KMS, a policy change made
/// through the client drops the cache, and keys or a policy that no longer fit are dropped and fetched afresh.
/// </summary>
public sealed class CarapaceClientKeyCacheTests : IAsyncLifetime
{
    private EmbeddedPlatform _platform = null!;

    public async Task InitializeAsync() => _platform = await EmbeddedPlatform.StartAsync();

    public async Task DisposeAsync() => await _platform.DisposeAsync();

    private ChainKeyCache Cache() => new(ChainKeyCache.DirectoryIn(_platform.DataDirectory), TimeSpan.FromMinutes(10));

    private CarapaceClient Client() => CarapaceClient.Create(_platform.Profile, new CarapaceClientOptions { KeyCache = Cache() });

    private int Entries() => Directory.Exists(Cache().Directory) ? Directory.GetFiles(Cache().Directory, "*.entry").Length : 0;

    [Fact]
    public async Task A_later_run_invokes_with_cached_keys_while_the_KMS_is_down()
    {
        await using (var first = Client())
        {
            await first.DeployAsync("hello", await File.ReadAllBytesAsync(RepoPaths.Example("hello")));
            var result = await first.InvokeAsync("hello", "one"u8.ToArray());
            Assert.Equal("ONE", Encoding.UTF8.GetString(result.Output).Trim());
        }

        Assert.Equal(1, Entries());
        _platform.StopKms();

        await using (var second = Client())
        {
            var result = await second.InvokeAsync("hello", "two"u8.ToArray());
            Assert.Equal("TWO", Encoding.UTF8.GetString(result.Output).Trim());
            Assert.Single(result.VerifiedReceipts);
        }

        // Without the cache the same run needs the KMS.
        await using var uncached = _platform.Client();
        await Assert.ThrowsAnyAsync<Exception>(() => uncached.InvokeAsync("hello", "three"u8.ToArray()));
    }

    [Fact]
    public async Task A_policy_change_made_through_the_client_drops_the_cache_and_stale_entries_are_refetched()
    {
        await using var client = Client();
        var hello = await File.ReadAllBytesAsync(RepoPaths.Example("hello"));
        await client.DeployAsync("hello", hello);
        await client.InvokeAsync("hello", "a"u8.ToArray());
        Assert.Equal(1, Entries());

        await client.DeployAsync("shout", hello);
        Assert.Equal(0, Entries());

        // A chain redefined elsewhere while this machine held its keys: the cached policy names the old chain, so the
        // receipts do not match it; the client drops the entry, asks the KMS, and the same answer verifies.
        await using (var warm = Client())
        {
            await warm.InvokeAsync("hello", "b"u8.ToArray());
        }

        Assert.Equal(1, Entries());
        await using (var elsewhere = _platform.Client())
        {
            await elsewhere.DeployAsync("hello", hello, new Carapace.Client.Deployment.DeployOptions { MemoryMiB = 128 });
        }

        await using var later = Client();
        var result = await later.InvokeAsync("hello", "c"u8.ToArray());
        Assert.Equal("C", Encoding.UTF8.GetString(result.Output).Trim());
        Assert.Equal(1, Entries());
    }
}
