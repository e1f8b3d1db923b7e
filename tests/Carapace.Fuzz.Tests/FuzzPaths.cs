namespace Carapace.Fuzz.Tests;

/// <summary>The fuzzing folders of the repository.</summary>
internal static class FuzzPaths
{
    public static string Root => Path.Combine(RepoPaths.Root, "fuzz");

    public static string Corpus(string target) => Path.Combine(Root, "corpus", target);

    public static string Crashes(string target) => Path.Combine(Root, "crashes", target);

    /// <summary>The files of <paramref name="directory"/> (none when it does not exist), in ordinal order; README files excluded.</summary>
    public static IReadOnlyList<string> Files(string directory) =>
        Directory.Exists(directory)
            ? [.. Directory.EnumerateFiles(directory).Where(f => !Path.GetFileName(f).StartsWith("README", StringComparison.Ordinal)).Order(StringComparer.Ordinal)]
            : [];
}
