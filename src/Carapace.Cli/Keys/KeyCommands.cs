using System.CommandLine;
using Carapace.Cli.Infrastructure;
using Carapace.Envelope.Keys;

namespace Carapace.Cli.Keys;

/// <summary><c>carapace key new</c> and <c>carapace key id</c>.</summary>
internal static class KeyCommands
{
    public static Command Build()
    {
        var key = new Command("key", "Create and identify namespace master keys.");
        key.Add(BuildNew());
        key.Add(BuildId());
        return key;
    }

    private static Command BuildNew()
    {
        var outOption = new Option<string>("--out") { Description = "Where to write the key (created with mode 0600).", Required = true, HelpName = "FILE" };
        var force = new Option<bool>("--force") { Description = "Overwrite an existing key file (the old key is lost)." };
        var command = new Command("new", "Create a new 256-bit namespace master key and print its key id.") { outOption, force };
        Examples.Set(command, "carapace key new --out ns.key");
        command.SetHandler((parse, _) =>
        {
            var path = parse.GetRequiredValue(outOption);
            using var master = MasterKey.Generate();
            KeyFile.Write(master, path, parse.GetValue(force));
            Console.Error.WriteLine($"wrote master key to {path} (mode 0600); anyone who has it can open every envelope sealed under it");
            Console.Out.WriteLine(master.Id.ToString());
            return Task.FromResult(ExitCodes.Ok);
        });
        return command;
    }

    private static Command BuildId()
    {
        var keyOption = CommonOptions.Key();
        var chain = CommonOptions.Chain("Print the id of this chain's edge key instead of the master key's.");
        var step = CommonOptions.Step("With --chain: the sending step of the edge (STEP → STEP+1); default 0.");
        var command = new Command("id", "Print the public key id of a master key, or of one of its edge keys.") { keyOption, chain, step };
        Examples.Set(command, "carapace key id --key ns.key", "carapace key id --key ns.key --chain orders --step 1");
        command.SetHandler((parse, _) =>
        {
            using var master = KeyFile.Read(parse.GetRequiredValue(keyOption));
            if (parse.GetValue(chain) is { } chainId)
            {
                var from = parse.GetValue(step) ?? 0;
                using var edge = master.Derive(chainId, from, from + 1);
                Console.Out.WriteLine(edge.Id.ToString());
            }
            else if (parse.GetValue(step) is not null)
            {
                throw new CliFailure("--step needs --chain", ExitCodes.Usage);
            }
            else
            {
                Console.Out.WriteLine(master.Id.ToString());
            }

            return Task.FromResult(ExitCodes.Ok);
        });
        return command;
    }
}
