using Carapace.Cli.Infrastructure;

namespace Carapace.Cli.Tcb;

/// <summary>A project inside a component: its lines of code and its built assembly (null without a build).</summary>
internal sealed record ProjectPart(string Name, int Files, int Lines, BuildFile? Assembly);

/// <summary>
/// A trusted component of the build: a program (or, for the gateway, the types of its plaintext edge) and the Carapace
/// projects it contains by its project references, with the third-party packages and shared frameworks it loads.
/// </summary>
/// <param name="Name">Its name in the JSON output: enclave, kms, gateway-edge.</param>
/// <param name="Title">What it is, in words.</param>
/// <param name="Program">The project of the trusted program (for the edge: the project it is part of).</param>
/// <param name="Process">Which process it runs in.</param>
/// <param name="Files">For a component that is part of a project (the gateway's edge): those files of it; otherwise empty.</param>
/// <param name="Projects">Whole projects the component contains (for the edge: the trusted libraries its project links).</param>
/// <param name="ThirdParty">The packages it loads, with their files on this platform.</param>
/// <param name="Frameworks">Shared frameworks it references (not counted).</param>
/// <param name="Runs">
/// For a program shipped compiled ahead of time (the enclave): the files that actually run, into which its assemblies,
/// their third-party libraries and the .NET runtime are compiled; empty otherwise or without a build.
/// </param>
internal sealed record Component(
    string Name,
    string Title,
    string Program,
    string Process,
    IReadOnlyList<SourceFile> Files,
    IReadOnlyList<ProjectPart> Projects,
    IReadOnlyList<ThirdParty> ThirdParty,
    IReadOnlyList<string> Frameworks,
    IReadOnlyList<BuildFile> Runs)
{
    /// <summary>Lines of Carapace code in the component.</summary>
    public int Lines => Files.Sum(f => f.Lines) + Projects.Sum(p => p.Lines);

    /// <summary>Bytes of the component's Carapace assemblies, or null without a build.</summary>
    public long? Bytes => Projects.Count == 0 || Projects.Any(p => p.Assembly?.Bytes is null) ? null : Projects.Sum(p => p.Assembly!.Bytes!.Value);
}

/// <summary>An untrusted project, or the part of one outside a trusted component.</summary>
internal sealed record UntrustedPart(string Name, string? Except, int Lines);

/// <summary>
/// The trusted base of a Carapace build: which code a function's keys and plaintext are exposed to (see
/// docs/security.md, "The trusted base"), measured in lines of source and bytes of the build, against the whole of
/// <c>src/</c>. Which programs are trusted is fixed here; what each contains follows the project references.
/// </summary>
internal sealed class TrustedBase
{
    /// <summary>The headline goal: the enclave's Carapace code at most this share of <c>src/</c>.</summary>
    public const double EnclaveGoal = 0.25;

    /// <summary>What a line is, in words, for the output.</summary>
    public const string Counted =
        "lines: non-blank lines of the .cs files of each project under src/ (bin/ and obj/ excluded) that are not only " +
        "comments (// and /* */; string literals are code); bytes: the built assembly files, and apart from them the " +
        "third-party files each component loads on this platform; the .NET runtime and shared frameworks are not counted; " +
        "what runs of the enclave: the native executable and libwasmtime.so its runtime identity hashes, into which its " +
        "assemblies, their libraries and the .NET runtime are compiled ahead of time";

    private const string EnclaveProject = "Carapace.Enclave";
    private const string KmsProject = "Carapace.Kms";
    private const string GatewayProject = "Carapace.Gateway";

    /// <summary>The gateway's plaintext edge (for confidential: false actions) and its TLS authority: the only gateway types trusted with keys.</summary>
    public static readonly IReadOnlyList<string> GatewayEdgeTypes = ["PlaintextBridge", "PlatformCertificateAuthority"];

    private TrustedBase(SourceTree source, BuildFiles? build, IReadOnlyList<Component> components, IReadOnlyList<UntrustedPart> untrusted,
        CompiledCode? compiled)
    {
        Source = source;
        Build = build;
        Components = components;
        Untrusted = untrusted;
        Compiled = compiled;
    }

    public SourceTree Source { get; }

    public BuildFiles? Build { get; }

    /// <summary>The enclave program, the KMS and the gateway's plaintext edge, in that order.</summary>
    public IReadOnlyList<Component> Components { get; }

    public Component Enclave => Components[0];

    /// <summary>
    /// The Carapace code compiled into the native enclave, in statement lines, when the build has the enclave's list
    /// of compiled methods; null otherwise. This, not the projects the enclave references, is the enclave's own code.
    /// </summary>
    public CompiledCode? Compiled { get; }

    /// <summary>Every project (or part of one) in no trusted component, largest first.</summary>
    public IReadOnlyList<UntrustedPart> Untrusted { get; }

    /// <summary>Lines of Carapace code in any trusted component, each file once.</summary>
    public int TrustedLines => Source.Lines - Untrusted.Sum(u => u.Lines);

    /// <summary>The projects wholly trusted (in the closure of a trusted program), in a stable order.</summary>
    public IReadOnlyList<string> TrustedProjects => [.. Components.SelectMany(c => c.Projects).Select(p => p.Name).Distinct(StringComparer.Ordinal)];

    /// <summary>The share of all lines of <c>src/</c> that <paramref name="lines"/> is.</summary>
    public double Share(int lines) => Source.Lines == 0 ? 0 : (double)lines / Source.Lines;

    /// <summary>Measures <paramref name="source"/> and, when given, the build in <paramref name="build"/>.</summary>
    /// <exception cref="CliFailure">A trusted program or the gateway's edge is missing from the source tree.</exception>
    public static TrustedBase Measure(SourceTree source, BuildFiles? build)
    {
        var enclave = Program(source, build, "enclave", "the enclave program", EnclaveProject, "one process per function instance");
        var kms = Program(source, build, "kms", "the KMS", KmsProject,
            "a process of its own (carapace kms start), hosted by the carapace program, whose other assemblies its measurement does not cover");
        var edge = GatewayEdge(source, build, [.. enclave.Projects.Concat(kms.Projects).Select(p => p.Name)]);
        var trusted = new HashSet<string>(enclave.Projects.Concat(kms.Projects).Select(p => p.Name), StringComparer.Ordinal);
        var untrusted = source.Projects.Values
            .Where(p => !trusted.Contains(p.Name))
            .Select(p => p.Name == GatewayProject
                ? new UntrustedPart(p.Name, "its plaintext edge", p.Lines - edge.Files.Sum(f => f.Lines))
                : new UntrustedPart(p.Name, null, p.Lines))
            .OrderByDescending(u => u.Lines)
            .ThenBy(u => u.Name, StringComparer.Ordinal)
            .ToList();
        return new TrustedBase(source, build, [enclave, kms, edge], untrusted, build is null ? null : CompiledCode.Measure(source, build));
    }

    private static Component Program(SourceTree source, BuildFiles? build, string name, string title, string project, string process)
    {
        if (!source.Projects.ContainsKey(project))
        {
            throw new CliFailure($"the source tree {source.Root} has no project {project}", ExitCodes.Rejected);
        }

        var closure = source.Closure(project);
        var parts = closure.Select(n => Part(source, build, n)).ToList();
        var assemblies = closure.Select(n => source.Projects[n].AssemblyName);
        return new Component(
            name, title, project, process, [], parts,
            build?.Packages(assemblies) ?? [],
            [.. closure.SelectMany(n => source.Projects[n].Frameworks).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)],
            project == EnclaveProject && build is not null ? build.NativeEnclave() : []);
    }

    /// <summary>
    /// The gateway's plaintext edge: the files of <see cref="GatewayEdgeTypes"/>, and the libraries of the gateway's
    /// closure that are trusted code in the enclave or the KMS (what the edge seals, opens and provisions with).
    /// </summary>
    private static Component GatewayEdge(SourceTree source, BuildFiles? build, IReadOnlyCollection<string> trustedProjects)
    {
        if (!source.Projects.TryGetValue(GatewayProject, out var gateway))
        {
            throw new CliFailure($"the source tree {source.Root} has no project {GatewayProject}", ExitCodes.Rejected);
        }

        var files = new List<SourceFile>();
        foreach (var type in GatewayEdgeTypes)
        {
            var file = gateway.Files.FirstOrDefault(f => Path.GetFileName(f.Path) == type + ".cs")
                ?? throw new CliFailure(
                    $"{GatewayProject} has no {type}.cs: the gateway's plaintext edge moved, so 'tcb' cannot count it " +
                    "(the edge's types are listed in src/Carapace.Cli/Tcb/TrustedBase.cs)",
                    ExitCodes.Rejected);
            files.Add(file);
        }

        var libraries = source.Closure(GatewayProject).Skip(1).Where(trustedProjects.Contains).ToList();
        return new Component(
            "gateway-edge", "the gateway's plaintext edge", GatewayProject,
            "inside the up process; trusted with confidential: false actions only",
            files, [.. libraries.Select(n => Part(source, build, n))], [], [], []);
    }

    private static ProjectPart Part(SourceTree source, BuildFiles? build, string name)
    {
        var project = source.Projects[name];
        return new ProjectPart(name, project.Files.Count, project.Lines, build?.Assembly(project.AssemblyName));
    }
}
