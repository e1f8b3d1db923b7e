using Carapace.Fuzz;

namespace Carapace.Fuzz.Tests;

/// <summary>The generated seeds come from Carapace's encoders; every one must be accepted by the matching decoder.</summary>
public sealed class SeedWriterTests : IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("carapace-fuzz-seeds-");

    public void Dispose() => _directory.Delete(recursive: true);

    [Fact]
    public void Every_generated_seed_is_accepted_by_its_target()
    {
        var written = SeedWriter.Write(_directory.FullName);

        var folders = _directory.GetDirectories();
        Assert.Equal(written, folders.Sum(f => f.GetFiles().Length));
        Assert.All(folders, folder =>
        {
            var target = FuzzTargets.Find(folder.Name);
            Assert.True(target is not null, $"seeds written for unknown target {folder.Name}");
            Assert.All(folder.GetFiles(), file => Assert.Equal(FuzzOutcome.Accepted, CrashRule.Run(target!, File.ReadAllBytes(file.FullName))));
        });
    }
}
