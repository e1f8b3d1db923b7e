using Carapace.Enclave.Host;
using Carapace.Functions;

namespace Carapace.Enclave.Tests.Host;

/// <summary>
/// A stem cell hashes its runtime files once per file version and boot: the cache is used only for exactly the versions
/// it describes, and any other file, a malformed cache or one that cannot be written means hashing again.
/// </summary>
public sealed class RuntimeHashCacheTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("carapace-hash-cache-").FullName;
    private readonly string[] _files;
    private readonly string _cache;

    public RuntimeHashCacheTests()
    {
        _files = [Path.Combine(_root, "Carapace.Enclave"), Path.Combine(_root, "libwasmtime.so")];
        File.WriteAllText(_files[0], "executable");
        File.WriteAllText(_files[1], "wasmtime");
        _cache = Path.Combine(_root, "runtime-hashes");
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void The_first_start_hashes_and_writes_the_cache_and_the_next_reads_it()
    {
        var first = RuntimeHashCache.HashFiles(_files, _cache);
        Assert.Equal(RuntimeIdentity.HashFiles(_files), first);
        Assert.True(File.Exists(_cache));

        // Prove the second answer comes from the cache: a value planted there (for the same file versions) is returned.
        var planted = new string('a', 64);
        var lines = File.ReadAllLines(_cache);
        lines[2] = planted + lines[2][64..];
        File.WriteAllLines(_cache, lines);

        Assert.Equal(Convert.FromHexString(planted), RuntimeHashCache.HashFiles(_files, _cache)[0]);
    }

    [Fact]
    public void A_file_rewritten_since_is_hashed_again()
    {
        RuntimeHashCache.HashFiles(_files, _cache);
        Plant();

        File.WriteAllText(_files[1], "another wasmtime");

        Assert.Equal(RuntimeIdentity.HashFiles(_files), RuntimeHashCache.HashFiles(_files, _cache));
    }

    [Fact]
    public void A_file_with_the_same_length_but_another_write_time_is_hashed_again()
    {
        RuntimeHashCache.HashFiles(_files, _cache);
        Plant();

        File.WriteAllText(_files[0], "EXECUTABLE");
        File.SetLastWriteTimeUtc(_files[0], File.GetLastWriteTimeUtc(_files[0]).AddSeconds(-5));

        Assert.Equal(RuntimeIdentity.HashFiles(_files), RuntimeHashCache.HashFiles(_files, _cache));
    }

    [Theory]
    [InlineData("")]
    [InlineData("carapace runtime hashes v1\n")]
    [InlineData("carapace runtime hashes v1\nboot another-boot\n")]
    [InlineData("not a cache at all\n\n\n")]
    public void A_malformed_or_foreign_cache_means_hashing_again_and_rewriting_it(string cache)
    {
        File.WriteAllText(_cache, cache);

        Assert.Equal(RuntimeIdentity.HashFiles(_files), RuntimeHashCache.HashFiles(_files, _cache));
        Assert.StartsWith("carapace runtime hashes v1\nboot ", File.ReadAllText(_cache), StringComparison.Ordinal);
    }

    [Fact]
    public void A_cache_that_cannot_be_written_only_means_hashing_every_time()
    {
        var cache = Path.Combine(_root, "no-such-directory", "runtime-hashes");

        Assert.Equal(RuntimeIdentity.HashFiles(_files), RuntimeHashCache.HashFiles(_files, cache));
        Assert.False(File.Exists(cache));
        Assert.Empty(Directory.GetFiles(_root, "*.tmp", SearchOption.AllDirectories));
    }

    [Fact]
    public void A_missing_runtime_file_is_reported_not_cached()
    {
        File.Delete(_files[1]);

        var missing = Assert.Throws<FileNotFoundException>(() => RuntimeHashCache.HashFiles(_files, _cache));
        Assert.Contains(_files[1], missing.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(_cache));
    }

    /// <summary>Replaces every cached hash with a planted value, so a test sees whether the cache was used.</summary>
    private void Plant()
    {
        var lines = File.ReadAllLines(_cache);
        for (var i = 2; i < lines.Length; i++)
        {
            lines[i] = new string('b', 64) + lines[i][64..];
        }

        File.WriteAllLines(_cache, lines);
    }
}
