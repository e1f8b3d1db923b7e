using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Carapace.Cli.Functions;
using Carapace.Cli.Infrastructure;

namespace Carapace.Cli.Conformance;

/// <summary>
/// <c>carapace conformance DIR</c>: runs a WASI conformance suite (WebAssembly's <c>wasi-testsuite</c> layout) through
/// enclaves, one line per test and a summary; exits 1 if any test failed.
/// </summary>
internal static class ConformanceCommand
{
    public static Command Build()
    {
        var directory = new Argument<string>("DIR")
        {
            Description = "The suite: every *.wasm below it is a test, with an optional X.json beside it (args, env, root, exit_code, stdout, or operations).",
        };
        var filter = new Option<string[]>("--filter")
        {
            Description = "Run only tests whose name contains this text; may repeat.",
            HelpName = "TEXT",
        };
        var timeout = new Option<TimeSpan?>("--timeout")
        {
            Description = "Wall-clock limit of each test, e.g. 30s (default 30s).",
            HelpName = "TIME",
            CustomParser = r =>
            {
                var token = r.Tokens.Single().Value;
                if (Duration.TryParse(token, out var d))
                {
                    return d;
                }

                r.AddError($"--timeout expects a duration such as 30s or 1m, not '{token}'");
                return null;
            },
        };
        var cacheDir = new Option<string?>("--cache-dir") { Description = "Where precompiled modules are cached (default ~/.carapace/cache).", HelpName = "DIR" };
        var command = new Command(
            "conformance",
            "Run a WASI preview 1 conformance suite through enclaves, as 'carapace run' runs a function: each test's root directory " +
            "is packed into a shielded image mounted at / with a writable in-enclave overlay, its arguments and environment are its " +
            "manifest, and its exit code and stdout are checked against its specification. *.cleanup artefacts are removed first. " +
            "Prints one line per test (PASS, FAIL or SKIP with the reason) and 'N passed, N failed, N skipped'; exits 1 if any failed.")
        {
            directory, filter, timeout, cacheDir,
        };
        Examples.Set(command,
            "carapace conformance tests/data/wasi-testsuite",
            "carapace conformance tests/data/wasi-testsuite --filter symlink --filter path_link");

        command.SetHandler(async (parse, cancel) =>
        {
            var root = parse.GetRequiredValue(directory);
            if (!Directory.Exists(root))
            {
                throw new CliFailure($"conformance suite directory {root} does not exist", ExitCodes.IoError);
            }

            var filters = parse.GetValue(filter) ?? [];
            var modules = ConformanceCase.FindModules(root)
                .Where(m => filters.Length == 0 || filters.Any(f => Path.GetFileNameWithoutExtension(m).Contains(f, StringComparison.Ordinal)))
                .ToList();
            if (modules.Count == 0)
            {
                throw new CliFailure($"no *.wasm tests under {root}{(filters.Length == 0 ? "" : " match the filter")}", ExitCodes.Usage);
            }

            var removed = ConformanceCase.RemoveCleanupArtifacts(root);
            if (removed > 0)
            {
                Console.Error.WriteLine($"carapace: removed {removed} *.cleanup artefact(s) left by an earlier run");
            }

            var watch = Stopwatch.StartNew();
            var counts = new Dictionary<ConformanceVerdict, int>();
            await using var runner = new ConformanceRunner(parse.GetValue(timeout) ?? TimeSpan.FromSeconds(30),
                parse.GetValue(cacheDir) ?? RunCommand.DefaultCacheDirectory(), line => Console.Error.WriteLine("carapace: " + line));
            for (var i = 0; i < modules.Count; i++)
            {
                ConformanceResult result;
                try
                {
                    result = await runner.RunAsync(ConformanceCase.Load(modules[i]), cancel).ConfigureAwait(false);
                }
                catch (FormatException e)
                {
                    result = new ConformanceResult(Path.GetFileNameWithoutExtension(modules[i]), ConformanceVerdict.Failed, e.Message, TimeSpan.Zero);
                }

                counts[result.Verdict] = counts.GetValueOrDefault(result.Verdict) + 1;
                var label = result.Verdict switch { ConformanceVerdict.Passed => "PASS", ConformanceVerdict.Failed => "FAIL", _ => "SKIP" };
                var reason = result.Reason.Length == 0 ? "" : "  " + result.Reason;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"[{i + 1,2}/{modules.Count}] {label} {result.Name} ({result.Elapsed.TotalMilliseconds:0} ms){reason}"));
            }

            var failed = counts.GetValueOrDefault(ConformanceVerdict.Failed);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{counts.GetValueOrDefault(ConformanceVerdict.Passed)} passed, {failed} failed, {counts.GetValueOrDefault(ConformanceVerdict.Skipped)} skipped ({watch.Elapsed.TotalSeconds:0.0} s)"));
            return failed == 0 ? 0 : 1;
        });
        return command;
    }
}
