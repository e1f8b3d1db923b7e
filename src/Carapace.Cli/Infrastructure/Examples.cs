using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using System.Runtime.CompilerServices;

namespace Carapace.Cli.Infrastructure;

/// <summary>Adds an "Examples:" section to the help of commands that have examples.</summary>
internal static class Examples
{
    private static readonly ConditionalWeakTable<Command, string[]> s_examples = [];

    public static void Set(Command command, params string[] lines) => s_examples.AddOrUpdate(command, lines);

    /// <summary>Makes the root's help option print examples after the default help text.</summary>
    public static void Install(RootCommand root)
    {
        foreach (var option in root.Options)
        {
            if (option is HelpOption { Action: SynchronousCommandLineAction help })
            {
                option.Action = new WithExamples(help);
            }
        }
    }

    private sealed class WithExamples(SynchronousCommandLineAction inner) : SynchronousCommandLineAction
    {
        public override bool ClearsParseErrors => true;

        public override int Invoke(ParseResult parseResult)
        {
            var code = inner.Invoke(parseResult);
            if (s_examples.TryGetValue(parseResult.CommandResult.Command, out var lines))
            {
                var output = parseResult.InvocationConfiguration.Output;
                output.WriteLine("Examples:");
                foreach (var line in lines)
                {
                    output.WriteLine("  " + line);
                }

                output.WriteLine();
            }

            return code;
        }
    }
}
