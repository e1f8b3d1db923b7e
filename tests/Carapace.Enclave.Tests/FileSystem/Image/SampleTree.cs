namespace Carapace.Enclave.Tests.FileSystem.Image;

/// <summary>
/// The tree most image tests pack: nested directories, an empty directory, empty and boundary-sized files
/// (1, 4095, 4096, 4097 bytes), a 5 MiB file, and names whose UTF-8 order differs from .NET's UTF-16 order.
/// </summary>
internal static class SampleTree
{
    public const string Fullwidth = "ünïcödé 日本/\uFF26ullwidth";
    public const string Crab = "ünïcödé 日本/🦀 crab.txt";

    public static readonly string[] Directories = ["a", "a/b", "a/b/c", "empty-dir", "ünïcödé 日本"];

    /// <summary>Root entries in image order (bytewise UTF-8).</summary>
    public static readonly string[] RootListing = ["Zebra", "a", "big.bin", "empty-dir", "empty.txt", "one.bin", "ünïcödé 日本"];

    /// <summary>Writes the tree; returns every file's path and content.</summary>
    public static Dictionary<string, byte[]> Create(TempTree tree, bool big = true)
    {
        foreach (var directory in Directories)
        {
            tree.Directory(directory);
        }

        var files = new Dictionary<string, byte[]>(StringComparer.Ordinal)
        {
            ["empty.txt"] = tree.File("empty.txt", 0),
            ["one.bin"] = tree.File("one.bin", 1, seed: 2),
            ["Zebra"] = tree.File("Zebra", 10, seed: 3),
            ["a/4095.bin"] = tree.File("a/4095.bin", 4095, seed: 4),
            ["a/4096.bin"] = tree.File("a/4096.bin", 4096, seed: 5),
            ["a/b/c/4097.bin"] = tree.File("a/b/c/4097.bin", 4097, seed: 6),
            [Crab] = tree.File(Crab, 100, seed: 7),
            [Fullwidth] = tree.File(Fullwidth, 3, seed: 8),
        };
        if (big)
        {
            files["big.bin"] = tree.File("big.bin", 5 * 1024 * 1024, seed: 9);
        }

        return files;
    }
}
