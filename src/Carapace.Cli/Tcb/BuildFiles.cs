using System.Runtime.InteropServices;
using System.Text.Json;
using Carapace.Cli.Infrastructure;

namespace Carapace.Cli.Tcb;

/// <summary>A file of a build and its size; <see cref="Bytes"/> is null when the build lacks it.</summary>
/// <param name="Path">The path relative to the build directory, with '/' separators.</param>
/// <param name="Bytes">Its size, or null when the build lacks it.</param>
internal sealed record BuildFile(string Path, long? Bytes);

/// <summary>A third-party package a component loads, with the files of it this platform uses.</summary>
internal sealed record ThirdParty(string Package, string Version, IReadOnlyList<BuildFile> Files)
{
    public long Bytes => Files.Sum(f => f.Bytes ?? 0);
}

/// <summary>
/// A built Carapace (the directory of the <c>carapace</c> program, e.g. <c>.build/cli</c>): the assembly files and, from
/// its <c>*.deps.json</c> files, which packages each project pulls in and which of their files are used on this platform.
/// </summary>
internal sealed class BuildFiles
{
    private readonly Dictionary<string, Library> _libraries;

    private BuildFiles(string directory, Dictionary<string, Library> libraries)
    {
        Directory = directory;
        _libraries = libraries;
    }

    public string Directory { get; }

    /// <summary>Reads the build in <paramref name="directory"/>.</summary>
    /// <exception cref="CliFailure">The directory does not exist, holds no .deps.json, or one is malformed.</exception>
    public static BuildFiles Load(string directory)
    {
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory));
        var manifests = System.IO.Directory.Exists(full) ? System.IO.Directory.GetFiles(full, "*.deps.json").Order(StringComparer.Ordinal).ToList() : [];
        if (manifests.Count == 0)
        {
            throw new CliFailure(
                $"--build {directory}: no built Carapace there (no *.deps.json); give the directory of a built carapace, e.g. .build/cli",
                ExitCodes.IoError);
        }

        var libraries = new Dictionary<string, Library>(StringComparer.OrdinalIgnoreCase);
        foreach (var manifest in manifests)
        {
            try
            {
                Read(manifest, libraries);
            }
            catch (Exception e) when (e is JsonException or InvalidOperationException or KeyNotFoundException)
            {
                throw new CliFailure($"{manifest} is not a valid .deps.json file: {e.Message}", ExitCodes.Rejected);
            }
        }

        return new BuildFiles(full, libraries);
    }

    /// <summary>The built assembly of a project.</summary>
    public BuildFile Assembly(string assemblyName) => File(assemblyName + ".dll");

    /// <summary>Every package <paramref name="assemblyNames"/> depend on, directly or through packages, with the files this platform loads.</summary>
    public IReadOnlyList<ThirdParty> Packages(IEnumerable<string> assemblyNames)
    {
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var pending = new Stack<string>(assemblyNames);
        var packages = new List<ThirdParty>();
        while (pending.TryPop(out var name))
        {
            if (!seen.Add(name) || !_libraries.TryGetValue(name, out var library))
            {
                continue;
            }

            if (library.IsPackage)
            {
                packages.Add(new ThirdParty(name, library.Version, [.. library.Files.Select(File)]));
            }

            foreach (var dependency in library.Dependencies)
            {
                pending.Push(dependency);
            }
        }

        return [.. packages.OrderBy(p => p.Package, StringComparer.OrdinalIgnoreCase)];
    }

    /// <summary>
    /// The native enclave beside the program (<c>enclave/</c>): its executable and libwasmtime.so, the two files its
    /// runtime identity hashes (sizes null when this build lacks them).
    /// </summary>
    public IReadOnlyList<BuildFile> NativeEnclave() =>
        [.. Carapace.Functions.RuntimeIdentity.Files.Select(name => File("enclave/" + name))];

    private BuildFile File(string relative)
    {
        var info = new FileInfo(Path.Combine(Directory, relative));
        return new BuildFile(relative, info.Exists ? info.Length : null);
    }

    private static void Read(string manifest, Dictionary<string, Library> libraries)
    {
        using var document = JsonDocument.Parse(System.IO.File.ReadAllBytes(manifest));
        var root = document.RootElement;
        var kinds = root.GetProperty("libraries");
        foreach (var target in root.GetProperty("targets").EnumerateObject())
        {
            foreach (var entry in target.Value.EnumerateObject())
            {
                var slash = entry.Name.IndexOf('/', StringComparison.Ordinal);
                var name = slash < 0 ? entry.Name : entry.Name[..slash];
                if (libraries.ContainsKey(name))
                {
                    continue;
                }

                var isPackage = kinds.TryGetProperty(entry.Name, out var kind) && kind.GetProperty("type").GetString() == "package";
                libraries[name] = new Library(slash < 0 ? "" : entry.Name[(slash + 1)..], isPackage, Dependencies(entry.Value), isPackage ? PackageFiles(entry.Value) : []);
            }
        }
    }

    private static List<string> Dependencies(JsonElement entry) =>
        entry.TryGetProperty("dependencies", out var dependencies) ? [.. dependencies.EnumerateObject().Select(d => d.Name)] : [];

    /// <summary>
    /// The files of a package the host loads here: its runtime assemblies (copied flat into the build directory) and the
    /// runtime-specific files for this platform's runtime identifier or a more general one (linux-x64, linux, unix, any).
    /// </summary>
    private static List<string> PackageFiles(JsonElement entry)
    {
        var files = new List<string>();
        if (entry.TryGetProperty("runtime", out var runtime))
        {
            files.AddRange(runtime.EnumerateObject().Select(f => Path.GetFileName(f.Name)));
        }

        if (entry.TryGetProperty("native", out var native))
        {
            files.AddRange(native.EnumerateObject().Select(f => Path.GetFileName(f.Name)));
        }

        if (entry.TryGetProperty("runtimeTargets", out var targets))
        {
            var rids = RuntimeIds();
            files.AddRange(targets.EnumerateObject()
                .Where(f => f.Value.TryGetProperty("rid", out var rid) && rids.Contains(rid.GetString() ?? ""))
                .Select(f => f.Name));
        }

        return files;
    }

    private static HashSet<string> RuntimeIds()
    {
        var rid = RuntimeInformation.RuntimeIdentifier;
        var os = rid.Split('-')[0];
        return [rid, os, "unix", "any"];
    }

    private sealed record Library(string Version, bool IsPackage, List<string> Dependencies, List<string> Files);
}
