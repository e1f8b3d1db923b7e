using System.CommandLine;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Carapace.Cli.Infrastructure;
using Carapace.Client.Invocation;

namespace Carapace.Cli.Platform;

/// <summary><c>carapace invoke NAME</c>: seal the input for the chain's entry, invoke, open the output, verify the receipts.</summary>
internal static class InvokeCommand
{
    public static Command Build()
    {
        var name = new Argument<string>("NAME") { Description = "The action or chain to invoke." };
        var input = new Option<string?>("--input")
        {
            Description = "Read the input from FILE ('-': standard input). Default: standard input when it is redirected, else no input.",
            HelpName = "FILE",
        };
        var output = CommonOptions.Out();
        var receipt = new Option<string?>("--receipt")
        {
            Description = "Also write the receipts (a JSON array of base64 receipts, one per step) to FILE, for 'carapace receipt verify'.",
            HelpName = "FILE",
        };
        var noWait = new Option<bool>("--no-wait") { Description = "Do not wait: print the activation id and exit." };
        var connection = new PlatformConnection();
        var command = new Command("invoke",
            "Invoke a confidential action or chain: the input is sealed here for the chain's entry edge, the platform moves only envelopes, and the " +
            "output is opened here once every step's receipt verified against the KMS's attested identity and the policy's measurements. The " +
            "output goes to standard output, a one-line summary to standard error.")
        {
            name, input, output, receipt, noWait,
        };
        connection.AddTo(command);
        Examples.Set(command,
            "echo 'hello, world' | carapace invoke hello",
            "carapace invoke pipeline --input notes.txt --out digest.txt --receipt receipts.json",
            "carapace invoke hello --input big.bin --no-wait");
        command.SetPlatformHandler(async (parse, cancel) =>
        {
            var action = parse.GetRequiredValue(name);
            await using var client = connection.Connect(parse);
            var inputPath = parse.GetValue(input);
            await using var source = inputPath is not null || Console.IsInputRedirected ? CliIo.OpenInput(inputPath) : new MemoryStream([], writable: false);
            if (parse.GetValue(noWait))
            {
                var pending = await client.StartAsync(action, source, cancellationToken: cancel).ConfigureAwait(false);
                Console.Out.WriteLine(pending.ActivationId);
                Console.Error.WriteLine($"{action}: started, activation {pending.ActivationId}; see 'carapace activations get {pending.ActivationId}'");
                return ExitCodes.Ok;
            }

            var result = await client.InvokeAsync(action, source, cancellationToken: cancel).ConfigureAwait(false);
            try
            {
                if (parse.GetValue(receipt) is { } receiptPath)
                {
                    await WriteReceiptsAsync(receiptPath, result, cancel).ConfigureAwait(false);
                }

                await using var sink = CliIo.OpenOutput(parse.GetValue(output));
                await sink.Stream.WriteAsync(result.Output, cancel).ConfigureAwait(false);
                await sink.CommitAsync(cancel).ConfigureAwait(false);
            }
            finally
            {
                CryptographicOperations.ZeroMemory(result.Output);
            }

            Console.Error.WriteLine(Summary(result));
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>"hello: warm, 3.1 ms, activation ID, 1 receipt verified".</summary>
    internal static string Summary(InvokeResult result)
    {
        var start = result.Cold switch { true => "cold", false => "warm", null => "finished" };
        var count = result.VerifiedReceipts.Count;
        var receipts = count == 0 ? "receipts not verified" : $"{count} receipt{(count == 1 ? "" : "s")} verified";
        return string.Create(CultureInfo.InvariantCulture,
            $"{result.Action}: {start}, {result.Duration.TotalMilliseconds:0.0} ms, activation {result.ActivationId}, {receipts}");
    }

    private static async Task WriteReceiptsAsync(string path, InvokeResult result, CancellationToken cancel)
    {
        await using var file = CliIo.OpenOutput(path);
        var json = JsonSerializer.SerializeToUtf8Bytes(result.Receipts.Select(r => Convert.ToBase64String(r.Span)).ToArray());
        await file.Stream.WriteAsync(json, cancel).ConfigureAwait(false);
        await file.Stream.WriteAsync("\n"u8.ToArray(), cancel).ConfigureAwait(false);
        await file.CommitAsync(cancel).ConfigureAwait(false);
    }
}
