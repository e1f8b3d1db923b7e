namespace Carapace.Tests;

/// <summary>Finds files of the repository (examples, test programs) from the test binaries' folder.</summary>
internal static class RepoPaths
{
    private static readonly Lazy<string> s_root = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Carapace.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("cannot find the repository root (Carapace.slnx) above " + AppContext.BaseDirectory);
    });

    public static string Root => s_root.Value;

    /// <summary>The native enclave the build copied beside the tests (build/NativeEnclave.targets), as the platform runs it.</summary>
    public static string NativeEnclave => Path.Combine(AppContext.BaseDirectory, "enclave", "Carapace.Enclave");

    /// <summary>A compiled example module, built by examples/build.sh (./test.sh runs it).</summary>
    public static string Example(string name)
    {
        var path = Path.Combine(Root, "examples", "out", name + ".wasm");
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"example {name} is not built: run examples/build.sh (./test.sh does)", path);
        }

        return path;
    }
}
