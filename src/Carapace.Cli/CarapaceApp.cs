using System.CommandLine;
using Carapace.Cli.Bench;
using Carapace.Cli.Envelopes;
using Carapace.Cli.Functions;
using Carapace.Cli.Infrastructure;
using Carapace.Cli.Keys;

namespace Carapace.Cli;

/// <summary>Builds the <c>carapace</c> command tree and runs it.</summary>
internal static class CarapaceApp
{
    public static RootCommand Build()
    {
        var root = new RootCommand(
            "Carapace: a confidential serverless platform. Functions run inside enclaves; the platform sees only " +
            "sealed envelopes and their plaintext metadata.");
        root.Add(KeyCommands.Build());
        root.Add(SealCommand.Build());
        root.Add(OpenCommand.Build());
        root.Add(InspectCommand.Build());
        root.Add(RunCommand.Build());
        root.Add(PackCommand.Build());
        root.Add(MeasureCommand.Build());
        root.Add(Attestation.AttestCommands.Build());
        root.Add(Kms.KmsCommands.Build());
        root.Add(Kms.PolicyCommands.Build());
        root.Add(Kms.SecretCommands.Build());
        root.Add(Platform.UpCommand.Build());
        root.Add(Cluster.NodeCommand.Build());
        root.Add(Cluster.ClusterCommands.Build());
        root.Add(Platform.StatusCommand.Build());
        root.Add(Platform.DeployCommand.Build());
        root.Add(Platform.ChainCommands.Build());
        root.Add(Platform.InvokeCommand.Build());
        root.Add(Platform.ActivationCommands.Build());
        root.Add(Platform.ActionCommands.Build());
        root.Add(Platform.ReceiptCommands.Build());
        root.Add(BenchCommands.Build());
        root.Add(Tcb.TcbCommand.Build());
        root.Add(Conformance.ConformanceCommand.Build());
        Examples.Set(root,
            "carapace key new --out ns.key",
            "echo 'hello' | carapace seal --key ns.key --meta team=blue > msg.env",
            "carapace inspect < msg.env",
            "carapace open --key ns.key < msg.env",
            "echo hello | carapace run examples/out/hello.wasm",
            "carapace bench envelope");
        Examples.Install(root);
        return root;
    }

    public static async Task<int> RunAsync(string[] args)
    {
        var root = Build();
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0 && parse.Action is System.CommandLine.Invocation.ParseErrorAction)
        {
            foreach (var error in parse.Errors)
            {
                await Console.Error.WriteLineAsync($"carapace: {error.Message}").ConfigureAwait(false);
            }

            await Console.Error.WriteLineAsync($"Run '{CommandPath(parse.CommandResult.Command)} --help' for usage.").ConfigureAwait(false);
            return ExitCodes.Usage;
        }

        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cancel.Cancel();
        };
        // ProcessTerminationTimeout = null: System.CommandLine would otherwise end the process 2 s after Ctrl-C or SIGTERM
        // (exit 130/143), cutting short 'up' draining its invocations and 'kms start' finishing its requests. Ctrl-C
        // cancels the token above; SIGTERM is handled by the commands that serve in the foreground (ForegroundService)
        // and ends the others at once, as the default signal action does.
        return await parse.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null },
            cancel.Token).ConfigureAwait(false);
    }

    private static string CommandPath(Command command)
    {
        var names = new List<string>();
        for (Symbol? s = command; s is not null; s = s.Parents.FirstOrDefault())
        {
            names.Add(s is RootCommand ? "carapace" : s.Name);
        }

        names.Reverse();
        return string.Join(' ', names);
    }
}
