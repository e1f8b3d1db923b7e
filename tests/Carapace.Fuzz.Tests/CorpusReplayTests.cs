using Carapace.Fuzz;

namespace Carapace.Fuzz.Tests;

/// <summary>
/// Replays every seed of <c>fuzz/corpus/&lt;target&gt;/</c> and every crash ever found (<c>fuzz/crashes/&lt;target&gt;/</c>,
/// kept as regression inputs once fixed) through the same target functions the fuzzer runs, under the same crash rule.
/// </summary>
public sealed class CorpusReplayTests
{
    public static TheoryData<string> Targets() => [.. FuzzTargets.All.Select(t => t.Name)];

    [Theory]
    [MemberData(nameof(Targets))]
    public void Every_seed_and_every_past_crash_is_parsed_or_refused_as_documented(string name)
    {
        var target = FuzzTargets.Find(name)!;
        var seeds = FuzzPaths.Files(FuzzPaths.Corpus(name));
        var crashes = FuzzPaths.Files(FuzzPaths.Crashes(name));
        Assert.NotEmpty(seeds);

        var failures = new List<string>();
        var accepted = 0;
        foreach (var file in seeds.Concat(crashes))
        {
            try
            {
                if (CrashRule.Run(target, File.ReadAllBytes(file)) == FuzzOutcome.Accepted)
                {
                    accepted++;
                }
            }
            catch (Exception e)
            {
                failures.Add($"{Path.GetRelativePath(RepoPaths.Root, file)}: {e.GetType().Name}: {e.Message}\n{e.StackTrace}");
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n\n", failures));

        // A corpus of only refused inputs would keep the fuzzer at the parser's front door.
        Assert.True(accepted > 0, $"no seed of {name} is accepted by its parser");
    }

    [Fact]
    public void Every_corpus_and_crash_folder_belongs_to_a_target_and_every_target_has_a_corpus()
    {
        var names = FuzzTargets.All.Select(t => t.Name).ToHashSet();
        foreach (var folder in new[] { "corpus", "crashes" })
        {
            var root = Path.Combine(FuzzPaths.Root, folder);
            var strays = Directory.Exists(root) ? Directory.GetDirectories(root).Select(Path.GetFileName).Where(n => !names.Contains(n!)).ToList() : [];
            Assert.True(strays.Count == 0, $"fuzz/{folder} has folders of no target: {string.Join(", ", strays)}");
        }

        Assert.All(names, n => Assert.True(Directory.Exists(FuzzPaths.Corpus(n)), $"target {n} has no fuzz/corpus/{n}/"));
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public void Each_corpus_stays_small(string name)
    {
        var files = FuzzPaths.Files(FuzzPaths.Corpus(name));
        Assert.InRange(files.Count, 1, 50);
        Assert.InRange(files.Sum(f => new FileInfo(f).Length), 1, 1L << 20);
    }
}
