using System.Text.Json;

namespace Carapace.Cli.Conformance;

/// <summary>
/// One test of a WASI conformance suite laid out as WebAssembly's <c>wasi-testsuite</c> specifies
/// (<c>doc/specification.md</c>): <c>X.wasm</c>, and optionally <c>X.json</c> beside it.
/// </summary>
/// <param name="Name">The module's file name without <c>.wasm</c> (also argv[0]).</param>
/// <param name="ModulePath">The module.</param>
/// <param name="Arguments">The arguments after argv[0].</param>
/// <param name="Environment">The whole environment the guest sees, in the file's order.</param>
/// <param name="Root">The directory preopened as the guest's <c>/</c> (null: none).</param>
/// <param name="ExitCode">The expected exit code.</param>
/// <param name="Stdout">The expected stdout; null when the specification gives none (then it is not compared, as the suite's own runner does).</param>
/// <param name="Stderr">The expected stderr, compared only when given.</param>
/// <param name="Unsupported">Why the test cannot run here (it needs a proposal Carapace does not offer), or null.</param>
internal sealed record ConformanceCase(
    string Name,
    string ModulePath,
    IReadOnlyList<string> Arguments,
    IReadOnlyList<KeyValuePair<string, string>> Environment,
    string? Root,
    int ExitCode,
    string? Stdout,
    string? Stderr,
    string? Unsupported)
{
    /// <summary>Every <c>*.wasm</c> under <paramref name="directory"/>, in ordinal path order.</summary>
    public static IReadOnlyList<string> FindModules(string directory) =>
        [.. Directory.EnumerateFiles(directory, "*.wasm", SearchOption.AllDirectories).Order(StringComparer.Ordinal)];

    /// <summary>
    /// Removes the <c>*.cleanup</c> files and directories under <paramref name="directory"/>: artefacts a run left
    /// behind (Carapace's runs never write to the suite, but a runtime run on the same copy may have); returns how many.
    /// </summary>
    public static int RemoveCleanupArtifacts(string directory)
    {
        var removed = 0;
        foreach (var file in Directory.EnumerateFiles(directory, "*.cleanup", SearchOption.AllDirectories).ToList())
        {
            File.Delete(file);
            removed++;
        }

        foreach (var dir in Directory.EnumerateDirectories(directory, "*.cleanup", SearchOption.AllDirectories).OrderByDescending(d => d.Length).ToList())
        {
            if (Directory.Exists(dir))
            {
                Directory.Delete(dir, recursive: true);
                removed++;
            }
        }

        return removed;
    }

    /// <summary>Reads the specification of the test <paramref name="modulePath"/> (the defaults when it has no <c>.json</c>).</summary>
    /// <exception cref="FormatException">The <c>.json</c> is not a specification this runner understands (the message says what).</exception>
    public static ConformanceCase Load(string modulePath)
    {
        var name = Path.GetFileNameWithoutExtension(modulePath);
        var specPath = Path.ChangeExtension(modulePath, ".json");
        var spec = new Spec();
        if (File.Exists(specPath))
        {
            try
            {
                using var document = JsonDocument.Parse(File.ReadAllText(specPath));
                spec = Parse(document.RootElement);
            }
            catch (Exception e) when (e is JsonException or InvalidOperationException or KeyNotFoundException)
            {
                throw new FormatException($"{specPath}: {e.Message}", e);
            }
        }

        string? root = null;
        if (spec.Root is { } relative)
        {
            root = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(Path.GetFullPath(modulePath))!, relative));
            if (!Directory.Exists(root))
            {
                throw new FormatException($"{specPath}: the root directory {relative} does not exist");
            }
        }

        var unsupported = spec.Proposals.Count == 0 ? null : "needs WASI proposal(s) " + string.Join(", ", spec.Proposals) + ", which a function does not have";
        return new ConformanceCase(name, modulePath, spec.Args, spec.Env, root, spec.ExitCode, spec.Stdout, spec.Stderr, unsupported ?? spec.Unsupported);
    }

    /// <summary>Reads both forms: the legacy fields, and <c>operations</c> (run, wait, read; connect/send/recv need sockets).</summary>
    private static Spec Parse(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidOperationException("a test specification is a JSON object");
        }

        var spec = new Spec();
        if (root.TryGetProperty("proposals", out var proposals))
        {
            spec.Proposals.AddRange(proposals.EnumerateArray().Select(p => p.GetString() ?? ""));
        }

        if (!root.TryGetProperty("operations", out var operations))
        {
            ReadRun(root, spec);
            spec.ExitCode = root.TryGetProperty("exit_code", out var exit) ? exit.GetInt32() : 0;
            spec.Stdout = root.TryGetProperty("stdout", out var stdout) ? stdout.GetString() : null;
            spec.Stderr = root.TryGetProperty("stderr", out var stderr) ? stderr.GetString() : null;
            return spec;
        }

        foreach (var operation in operations.EnumerateArray())
        {
            switch (operation.GetProperty("type").GetString())
            {
                case "run":
                    ReadRun(operation, spec);
                    break;
                case "wait":
                    spec.ExitCode = operation.TryGetProperty("exit_code", out var exit) ? exit.GetInt32() : 0;
                    break;
                case "read":
                    var payload = operation.TryGetProperty("payload", out var p) ? p.GetString() ?? "" : "";
                    var id = operation.TryGetProperty("id", out var i) ? i.GetString() : "stdout";
                    if (id == "stderr")
                    {
                        spec.Stderr = (spec.Stderr ?? "") + payload;
                    }
                    else
                    {
                        spec.Stdout = (spec.Stdout ?? "") + payload;
                    }

                    break;
                case var other:
                    spec.Unsupported ??= $"needs the '{other}' operation (a network connection to the function), which a function does not offer";
                    break;
            }
        }

        return spec;
    }

    private static void ReadRun(JsonElement element, Spec spec)
    {
        if (element.TryGetProperty("args", out var args))
        {
            spec.Args = [.. args.EnumerateArray().Select(a => a.GetString() ?? throw new InvalidOperationException("an argument is not a string"))];
        }

        if (element.TryGetProperty("env", out var env))
        {
            spec.Env = [.. env.EnumerateObject().Select(p => new KeyValuePair<string, string>(p.Name, p.Value.GetString() ?? throw new InvalidOperationException($"env {p.Name} is not a string")))];
        }

        if (element.TryGetProperty("root", out var root) && root.ValueKind != JsonValueKind.Null)
        {
            spec.Root = root.GetString();
        }
    }

    private sealed class Spec
    {
        public List<string> Args { get; set; } = [];

        public List<KeyValuePair<string, string>> Env { get; set; } = [];

        public string? Root { get; set; }

        public int ExitCode { get; set; }

        public string? Stdout { get; set; }

        public string? Stderr { get; set; }

        public List<string> Proposals { get; } = [];

        public string? Unsupported { get; set; }
    }
}
