using Carapace.Cli.Infrastructure;

namespace Carapace.Cli.Tcb;

/// <summary>One project's statement lines: all of them, and those compiled into the native enclave.</summary>
internal sealed record CompiledProject(string Name, int Lines, int AllLines);

/// <summary>
/// The Carapace code that actually runs in the enclave: the statement lines of the methods NativeAOT compiled into the
/// native binary (its <c>.mstat</c> file, read with the PDBs of this build's assemblies), against the statement lines
/// of all of <c>src/</c> counted the same way. Unlike the projects the enclave references, this leaves out what the
/// compiler found unreachable from the enclave's entry point (verifiers, packers and clients' code of shared libraries).
/// </summary>
/// <param name="Lines">Statement lines compiled into the enclave.</param>
/// <param name="AllLines">Statement lines of all of <c>src/</c>.</param>
/// <param name="Projects">Per project with any line in the enclave, largest first.</param>
internal sealed record CompiledCode(int Lines, int AllLines, IReadOnlyList<CompiledProject> Projects)
{
    /// <summary>Where ILC's list of compiled methods is, relative to a build directory.</summary>
    public const string MstatPath = "enclave/Carapace.Enclave.mstat";

    /// <summary>What a statement line is, in words, for the output.</summary>
    public const string Counted =
        "statement lines: the lines of src/ that a PDB sequence point covers (code generated at build time excluded); " +
        "compiled into the enclave: those of the methods ILC compiled into the native binary (its .mstat file), generic " +
        "instantiations as their definition and same-arity overloads all counted";

    public double Share => AllLines == 0 ? 0 : (double)Lines / AllLines;

    /// <summary>Measures the enclave of <paramref name="build"/>, or null when it has no .mstat (a build without the native enclave).</summary>
    /// <exception cref="CliFailure">An assembly of <paramref name="source"/> or its PDB is missing from the build, or the .mstat cannot be read.</exception>
    public static CompiledCode? Measure(SourceTree source, BuildFiles build)
    {
        var mstat = Path.Combine(build.Directory, MstatPath);
        if (!File.Exists(mstat))
        {
            return null;
        }

        IReadOnlySet<MethodKey> compiled;
        try
        {
            compiled = CompiledMethods.Read(mstat, "Carapace.");
        }
        catch (Exception e) when (e is InvalidDataException or BadImageFormatException or IOException)
        {
            throw new CliFailure($"cannot read {mstat}: {e.Message}", ExitCodes.Rejected);
        }

        var all = new HashSet<StatementLine>();
        var inEnclave = new HashSet<StatementLine>();
        foreach (var project in source.Projects.Values)
        {
            var dll = Path.Combine(build.Directory, project.AssemblyName + ".dll");
            if (!File.Exists(dll))
            {
                throw new CliFailure($"the build {build.Directory} lacks {project.AssemblyName}.dll of {project.Name}; give --build the directory of a whole build",
                    ExitCodes.IoError);
            }

            IReadOnlyDictionary<MethodKey, IReadOnlyList<StatementLine>> methods;
            try
            {
                methods = StatementLines.Read(dll);
            }
            catch (Exception e) when (e is InvalidDataException or BadImageFormatException or IOException)
            {
                throw new CliFailure($"cannot count the statement lines of {dll}: {e.Message}", ExitCodes.Rejected);
            }

            foreach (var (key, lines) in methods)
            {
                all.UnionWith(lines);
                if (compiled.Contains(key))
                {
                    inEnclave.UnionWith(lines);
                }
            }
        }

        var allByProject = all.GroupBy(l => ProjectOf(l.File)).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        var projects = inEnclave.GroupBy(l => ProjectOf(l.File))
            .Select(g => new CompiledProject(g.Key, g.Count(), allByProject[g.Key]))
            .OrderByDescending(p => p.Lines)
            .ThenBy(p => p.Name, StringComparer.Ordinal)
            .ToList();
        return new CompiledCode(inEnclave.Count, all.Count, projects);
    }

    /// <summary>The project of a path from <c>src/</c> on: its second segment.</summary>
    private static string ProjectOf(string file)
    {
        var parts = file.Split('/', 3);
        return parts.Length > 1 ? parts[1] : file;
    }
}
