using System.CommandLine;
using Carapace.Cli.Infrastructure;

namespace Carapace.Cli.Platform;

/// <summary><c>carapace actions list|delete</c>.</summary>
internal static class ActionCommands
{
    public static Command Build()
    {
        var actions = new Command("actions", "The namespace's actions and chains.");
        actions.Add(BuildList());
        actions.Add(BuildDelete());
        return actions;
    }

    private static Command BuildList()
    {
        var connection = new PlatformConnection();
        var command = new Command("list", "List the namespace's actions: name, version, kind, confidential or plaintext, limits.");
        connection.AddTo(command);
        Examples.Set(command, "carapace actions list", "carapace actions list --data-dir /tmp/carapace");
        command.SetPlatformHandler(async (parse, cancel) =>
        {
            await using var client = connection.Connect(parse);
            foreach (var a in await client.Gateway.ListActionsAsync(cancellationToken: cancel).ConfigureAwait(false))
            {
                var mode = a.Confidential ? "confidential" : "plaintext";
                var detail = a.Kind == "sequence" ? string.Join(" → ", a.Components) : $"{a.MemoryMiB} MiB, {a.TimeoutMs} ms";
                Console.Out.WriteLine($"{a.Name,-20} {a.Version,-8} {a.Kind,-9} {mode,-12} {detail}");
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command BuildDelete()
    {
        var name = new Argument<string>("NAME") { Description = "The action or chain to delete." };
        var connection = new PlatformConnection();
        var command = new Command("delete",
            "Delete an action or chain. With the owner key in the profile, its chain (and its function, unless another chain uses it) also leaves " +
            "the KMS policy, so no enclave gets its keys any more.")
        {
            name,
        };
        connection.AddTo(command);
        Examples.Set(command, "carapace actions delete hello");
        command.SetPlatformHandler(async (parse, cancel) =>
        {
            await using var client = connection.Connect(parse);
            var result = await client.DeleteAsync(parse.GetRequiredValue(name), cancel).ConfigureAwait(false);
            Console.Out.WriteLine($"deleted {result.Action.Name} {result.Action.Version}"
                + (result.PolicyVersion is { } version ? $" (removed from policy v{version})" : ""));
            return ExitCodes.Ok;
        });
        return command;
    }
}
