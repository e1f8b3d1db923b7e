using System.Xml;
using System.Xml.Linq;
using Carapace.Cli.Infrastructure;

namespace Carapace.Cli.Tcb;

/// <summary>One C# file of a project and its lines of code (<see cref="CodeLines"/>).</summary>
/// <param name="Path">The path relative to the project's directory, with '/' separators.</param>
/// <param name="Lines">Its lines of code.</param>
internal sealed record SourceFile(string Path, int Lines);

/// <summary>A project under <c>src/</c>: what its .csproj references and the lines of its C# files.</summary>
internal sealed record SourceProject(
    string Name,
    string Directory,
    string AssemblyName,
    IReadOnlyList<string> References,
    IReadOnlyList<string> Frameworks,
    IReadOnlyList<SourceFile> Files)
{
    public int Lines => Files.Sum(f => f.Lines);
}

/// <summary>
/// The Carapace source tree of a clone: every project under <c>src/</c> (each directory holding a .csproj), its project
/// and framework references, and the lines of code of its .cs files, bin/ and obj/ excluded.
/// </summary>
internal sealed class SourceTree
{
    /// <summary>A file every Carapace source tree has; how a directory is recognised as one.</summary>
    public const string Marker = "src/Carapace.Enclave/Carapace.Enclave.csproj";

    private SourceTree(string root, IReadOnlyDictionary<string, SourceProject> projects)
    {
        Root = root;
        Projects = projects;
    }

    public string Root { get; }

    /// <summary>The projects by name (the .csproj's file name without extension).</summary>
    public IReadOnlyDictionary<string, SourceProject> Projects { get; }

    public int Lines => Projects.Values.Sum(p => p.Lines);

    public int Files => Projects.Values.Sum(p => p.Files.Count);

    /// <summary>True when <paramref name="directory"/> is the root of a Carapace source tree.</summary>
    public static bool IsRoot(string directory) => File.Exists(Path.Combine(directory, Marker));

    /// <summary>
    /// The source tree to count: <paramref name="option"/> when given (it must be one), else the nearest directory at or
    /// above each of <paramref name="searchFrom"/> in turn that is one.
    /// </summary>
    /// <exception cref="CliFailure">No source tree there, with what to do.</exception>
    public static string Locate(string? option, params string[] searchFrom)
    {
        if (option is not null)
        {
            var full = Path.GetFullPath(option);
            return IsRoot(full)
                ? full
                : throw new CliFailure(
                    $"--source {option}: not a Carapace source tree ({Marker} is missing); give the root of a Carapace clone",
                    ExitCodes.IoError);
        }

        foreach (var start in searchFrom)
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (IsRoot(dir.FullName))
                {
                    return dir.FullName;
                }
            }
        }

        throw new CliFailure(
            $"no Carapace source tree found above {string.Join(" or ", searchFrom.Select(Path.TrimEndingDirectorySeparator))}: " +
            "'tcb' counts the source this build came from; run it from a clone (./carapace tcb) or give --source DIR",
            ExitCodes.IoError);
    }

    /// <summary>Reads every project under <paramref name="root"/>/src and counts its lines.</summary>
    /// <exception cref="CliFailure">A .csproj that is not well-formed XML.</exception>
    public static SourceTree Load(string root)
    {
        var src = Path.Combine(root, "src");
        var projects = new Dictionary<string, SourceProject>(StringComparer.Ordinal);
        foreach (var csproj in Directory.EnumerateFiles(src, "*.csproj", SearchOption.AllDirectories).Where(p => !InBuildOutput(src, p)).Order(StringComparer.Ordinal))
        {
            var project = LoadProject(root, csproj);
            if (!projects.TryAdd(project.Name, project))
            {
                throw new CliFailure($"two projects named {project.Name} under {src}", ExitCodes.Rejected);
            }
        }

        return new SourceTree(root, projects);
    }

    /// <summary><paramref name="roots"/> and every project they reference, directly or through others, in a stable order.</summary>
    public IReadOnlyList<string> Closure(params string[] roots)
    {
        var seen = new List<string>();
        var pending = new Stack<string>(roots.Reverse());
        while (pending.TryPop(out var name))
        {
            if (seen.Contains(name) || !Projects.TryGetValue(name, out var project))
            {
                continue;
            }

            seen.Add(name);
            foreach (var reference in project.References.Reverse())
            {
                pending.Push(reference);
            }
        }

        return seen;
    }

    private static SourceProject LoadProject(string root, string csproj)
    {
        XDocument document;
        try
        {
            document = XDocument.Load(csproj);
        }
        catch (XmlException e)
        {
            throw new CliFailure($"{Path.GetRelativePath(root, csproj)} is not a well-formed project file: {e.Message}", ExitCodes.Rejected);
        }

        var name = Path.GetFileNameWithoutExtension(csproj);
        var directory = Path.GetDirectoryName(csproj)!;
        var references = document.Descendants("ProjectReference")
            .Select(r => (string?)r.Attribute("Include"))
            .OfType<string>()
            .Select(include => Path.GetFileNameWithoutExtension(include.Replace('\\', '/')))
            .Distinct(StringComparer.Ordinal)
            .ToList();
        var frameworks = document.Descendants("FrameworkReference")
            .Select(r => (string?)r.Attribute("Include"))
            .OfType<string>()
            .ToList();
        // The unconditional name: a conditional one belongs to another build of the project (the enclave's JavaScript program).
        var assemblyName = document.Descendants("AssemblyName")
            .Where(e => e.Attribute("Condition") is null && e.Parent?.Attribute("Condition") is null)
            .Select(e => e.Value.Trim()).FirstOrDefault(v => v.Length > 0) ?? name;
        var files = Directory.EnumerateFiles(directory, "*.cs", SearchOption.AllDirectories)
            .Where(path => !InBuildOutput(directory, path))
            .Select(path => new SourceFile(Path.GetRelativePath(directory, path).Replace('\\', '/'), CodeLines.Count(File.ReadAllText(path))))
            .OrderBy(f => f.Path, StringComparer.Ordinal)
            .ToList();
        return new SourceProject(name, directory, assemblyName, references, frameworks, files);
    }

    /// <summary>True when <paramref name="path"/> lies in a bin/ or obj/ directory below <paramref name="directory"/>.</summary>
    private static bool InBuildOutput(string directory, string path) =>
        Path.GetRelativePath(directory, path).Split(Path.DirectorySeparatorChar).SkipLast(1).Any(part => part is "bin" or "obj");
}
