using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Carapace.Cli.Infrastructure;

namespace Carapace.Cli.Platform;

/// <summary><c>carapace activations list|get|logs</c>: the platform's activation records (metadata only) and logs opened here.</summary>
internal static class ActivationCommands
{
    private static readonly JsonSerializerOptions s_indented = new() { WriteIndented = true };

    public static Command Build()
    {
        var activations = new Command("activations", "Activation records: what ran when, for how long, with which outcome (never inputs or outputs).");
        activations.Add(BuildList());
        activations.Add(BuildGet());
        activations.Add(BuildLogs());
        return activations;
    }

    private static Command BuildList()
    {
        var name = new Option<string?>("--name") { Description = "Only activations of this action.", HelpName = "NAME" };
        var limit = new Option<int>("--limit") { Description = "At most N activations (newest first).", HelpName = "N", DefaultValueFactory = _ => 30 };
        var connection = new PlatformConnection();
        var command = new Command("list", "List the namespace's activations, newest first: id, action, start, duration, status.") { name, limit };
        connection.AddTo(command);
        Examples.Set(command, "carapace activations list", "carapace activations list --name hello --limit 5");
        command.SetPlatformHandler(async (parse, cancel) =>
        {
            await using var client = connection.Connect(parse);
            var list = await client.Gateway.ListActivationsAsync(parse.GetValue(name), limit: parse.GetValue(limit), cancellationToken: cancel).ConfigureAwait(false);
            foreach (var a in list)
            {
                var status = a.StatusCode switch { null => "pending", 0 => "success", 1 => "application error", 2 => "developer error", _ => "internal error" };
                var duration = a.Duration is { } ms ? ms.ToString(CultureInfo.InvariantCulture) + " ms" : "-";
                Console.Out.WriteLine($"{a.ActivationId}  {a.Name,-20} {a.Start.UtcDateTime:yyyy-MM-dd HH:mm:ss}Z  {duration,9}  {status}");
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command BuildGet()
    {
        var id = new Argument<string>("ID") { Description = "The activation id." };
        var connection = new PlatformConnection();
        var command = new Command("get", "Print an activation record as JSON (OpenWhisk's shape; a confidential one shows only sizes and hashes of sealed data).") { id };
        connection.AddTo(command);
        Examples.Set(command, "carapace activations get 3f2a…");
        command.SetPlatformHandler(async (parse, cancel) =>
        {
            await using var client = connection.Connect(parse);
            var activation = await client.Gateway.GetActivationAsync(parse.GetRequiredValue(id), cancel).ConfigureAwait(false);
            Console.Out.WriteLine(JsonSerializer.Serialize(activation.Json, s_indented));
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command BuildLogs()
    {
        var id = new Argument<string>("ID") { Description = "The activation id (of an action, or of one step of a chain)." };
        var connection = new PlatformConnection();
        var command = new Command("logs",
            "Print an activation's log lines. A confidential activation's log is sealed by its enclave; it is opened here with the log key of its " +
            "chain step, which the KMS releases to the namespace's clients.")
        {
            id,
        };
        connection.AddTo(command);
        Examples.Set(command, "carapace activations logs 3f2a…");
        command.SetPlatformHandler(async (parse, cancel) =>
        {
            await using var client = connection.Connect(parse);
            foreach (var line in await client.GetLogsAsync(parse.GetRequiredValue(id), cancel).ConfigureAwait(false))
            {
                Console.Out.WriteLine(line);
            }

            return ExitCodes.Ok;
        });
        return command;
    }
}
