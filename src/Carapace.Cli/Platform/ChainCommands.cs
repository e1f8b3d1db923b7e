using System.CommandLine;
using Carapace.Cli.Infrastructure;

namespace Carapace.Cli.Platform;

/// <summary><c>carapace chain create NAME STEP…</c>: a sequence of deployed actions whose data only their enclaves see.</summary>
internal static class ChainCommands
{
    public static Command Build()
    {
        var chain = new Command("chain", "Chains of confidential actions: each step's output is sealed for the next step only.");
        chain.Add(BuildCreate());
        return chain;
    }

    private static Command BuildCreate()
    {
        var name = new Argument<string>("NAME") { Description = "The chain's name (invoke it like an action)." };
        var steps = new Argument<string[]>("STEP") { Description = "The deployed actions to run, in order.", Arity = ArgumentArity.OneOrMore };
        var connection = new PlatformConnection();
        var command = new Command("create",
            "Create (or replace) a chain: a sequence action of deployed confidential actions, and the KMS policy chain whose edge keys connect them " +
            "(signed with the profile's owner key).")
        {
            name, steps,
        };
        connection.AddTo(command);
        Examples.Set(command, "carapace chain create pipeline hello wordcount sha256", "echo 'a b' | carapace invoke pipeline");
        command.SetPlatformHandler(async (parse, cancel) =>
        {
            await using var client = connection.Connect(parse);
            var result = await client.CreateChainAsync(parse.GetRequiredValue(name), parse.GetRequiredValue(steps), cancel).ConfigureAwait(false);
            Console.Out.WriteLine($"name    {result.Action.Name}");
            Console.Out.WriteLine($"version {result.Action.Version}");
            Console.Out.WriteLine($"steps   {string.Join(" → ", result.Action.Components)}");
            Console.Out.WriteLine($"policy  v{result.PolicyVersion}");
            return ExitCodes.Ok;
        });
        return command;
    }
}
