using Carapace.Cli.Conformance;

namespace Carapace.Cli.Tests.Conformance;

/// <summary>One conformance runner (its pre-started enclaves, packed roots and module cache) for all the suite's tests.</summary>
public sealed class ConformanceFixture : IAsyncLifetime
{
    private readonly TempDir _cache = new();

    /// <summary>The repository's copy of the WASI preview 1 suite.</summary>
    public static string Suite => Path.Combine(RepoPaths.Root, "tests", "data", "wasi-testsuite");

    internal ConformanceRunner Runner { get; private set; } = null!;

    public Task InitializeAsync()
    {
        ConformanceCase.RemoveCleanupArtifacts(Suite);
        Runner = new ConformanceRunner(TimeSpan.FromSeconds(60), _cache.Path);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await Runner.DisposeAsync();
        _cache.Dispose();
    }
}
