using System.CommandLine;
using Carapace.Cli.Infrastructure;

namespace Carapace.Cli.Tcb;

/// <summary><c>carapace tcb</c>: the trusted base of this build, counted in lines of source and bytes of the build.</summary>
internal static class TcbCommand
{
    public static Command Build()
    {
        var source = new Option<string?>("--source")
        {
            Description = "Root of the Carapace source tree to count. Default: the clone this carapace was built from " +
                "(searched upwards from the program's directory, then from the current directory).",
            HelpName = "DIR",
        };
        var build = new Option<string?>("--build")
        {
            Description = "Directory of the built carapace whose files to measure. Default: this program's own directory.",
            HelpName = "DIR",
        };
        var json = new Option<bool>("--json") { Description = "Print the figures as JSON." };
        var command = new Command(
            "tcb",
            "Print the trusted base of this build: the enclave program, the KMS and the gateway's plaintext edge, the " +
            "Carapace projects each contains (by project references) in lines of source and bytes of the build, and the " +
            "third-party code each loads, each as a share of src/, next to what is untrusted.")
        {
            source, build, json,
        };
        Examples.Set(command, "carapace tcb", "carapace tcb --json", "carapace tcb --source ~/carapace --build ~/carapace/.build/cli");
        command.SetHandler((parse, _) =>
        {
            var root = SourceTree.Locate(parse.GetValue(source), AppContext.BaseDirectory, Environment.CurrentDirectory);
            var files = BuildFiles.Load(parse.GetValue(build) ?? AppContext.BaseDirectory);
            var tcb = TrustedBase.Measure(SourceTree.Load(root), files);
            if (parse.GetValue(json))
            {
                using var stdout = Console.OpenStandardOutput();
                TcbJson.Write(stdout, tcb);
            }
            else
            {
                TcbText.Write(Console.Out, tcb);
            }

            return Task.FromResult(ExitCodes.Ok);
        });
        return command;
    }
}
