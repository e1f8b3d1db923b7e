using SharpFuzz;

namespace Carapace.Fuzz;

/// <summary>The command line of the harness (see <see cref="Usage"/>).</summary>
internal static class Cli
{
    public const string Usage = """
        Usage: dotnet Carapace.Fuzz.dll TARGET             fuzz TARGET: under afl-fuzz, the SharpFuzz fork server;
                                                           otherwise one input from standard input (a crash throws)
               dotnet Carapace.Fuzz.dll --replay TARGET PATH...
                                                           run files (or every file of folders) through TARGET and
                                                           report each outcome; exit 1 if any crashes
               dotnet Carapace.Fuzz.dll --list             the targets, one per line: name and what it parses
               dotnet Carapace.Fuzz.dll --write-seeds DIR  (re)write the generated seeds under DIR/<target>/
               dotnet Carapace.Fuzz.dll --help

        A crash is any exception other than the target's documented refusal types, or an allocation larger than
        16 MiB + 32 bytes per input byte. fuzz/run.sh builds, instruments and runs campaigns; see fuzz/README.md.
        """;

    public static int Run(string[] args)
    {
        switch (args)
        {
            case [] or ["--help" or "-h"]:
                Console.Out.WriteLine(Usage);
                return args.Length == 0 ? 2 : 0;
            case ["--list"]:
                foreach (var target in FuzzTargets.All)
                {
                    Console.Out.WriteLine($"{target.Name,-22} {target.Summary}");
                }

                return 0;
            case ["--write-seeds", var directory]:
                Console.Out.WriteLine($"wrote {SeedWriter.Write(directory)} seed files under {directory}");
                return 0;
            case ["--replay", var name, .. var paths] when paths.Length > 0:
                if (Find(name) is not { } replayed)
                {
                    return 2;
                }

                // Outside afl-fuzz, Fuzzer.Run runs the action once with a private coverage map: an instrumented build
                // (fuzz/.work/bin) writes its coverage there instead of through an unset pointer.
                var status = 0;
                Fuzzer.Run(_ => status = Replay(replayed, paths));
                return status;
            case [var name] when !name.StartsWith('-'):
                if (Find(name) is not { } fuzzed)
                {
                    return 2;
                }

                Fuzzer.Run(stream =>
                {
                    using var buffer = new MemoryStream();
                    stream.CopyTo(buffer);
                    CrashRule.Run(fuzzed, buffer.ToArray());
                });
                return 0;
            default:
                Console.Error.WriteLine($"carapace-fuzz: unknown arguments '{string.Join(' ', args)}'");
                Console.Error.WriteLine(Usage);
                return 2;
        }
    }

    private static FuzzTarget? Find(string name)
    {
        var target = FuzzTargets.Find(name);
        if (target is null)
        {
            Console.Error.WriteLine($"carapace-fuzz: no target '{name}'; --list shows them");
        }

        return target;
    }

    private static int Replay(FuzzTarget target, IEnumerable<string> paths)
    {
        var crashes = 0;
        foreach (var file in paths.SelectMany(p => Directory.Exists(p) ? Directory.EnumerateFiles(p).Order(StringComparer.Ordinal) : (IEnumerable<string>)[p]))
        {
            try
            {
                var outcome = CrashRule.Run(target, File.ReadAllBytes(file), out var refusal);
                var reason = refusal is null ? "" : $"  ({refusal.GetType().Name}: {refusal.Message})";
                Console.Out.WriteLine($"{outcome.ToString().ToLowerInvariant(),-8} {file}{reason}");
            }
            catch (Exception e)
            {
                crashes++;
                Console.Out.WriteLine($"CRASH    {file}");
                Console.Out.WriteLine(e.ToString());
            }
        }

        return crashes == 0 ? 0 : 1;
    }
}
