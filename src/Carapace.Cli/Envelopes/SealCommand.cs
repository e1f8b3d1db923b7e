using System.CommandLine;
using Carapace.Cli.Infrastructure;
using Carapace.Envelope.Format;
using Carapace.Envelope.Keys;
using Carapace.Envelope.Sealing;

namespace Carapace.Cli.Envelopes;

/// <summary><c>carapace seal</c>: plaintext on stdin → envelope on stdout.</summary>
internal static class SealCommand
{
    public static Command Build()
    {
        var key = CommonOptions.Key();
        var meta = new Option<string[]>("--meta")
        {
            Description = "Plaintext metadata pairs k=v[,k=v…] (visible to the platform, tamper-proof). May repeat.",
            HelpName = "K=V",
            AllowMultipleArgumentsPerToken = false,
        };
        var chain = CommonOptions.Chain("Chain id of the edge to seal for (default: 'default').");
        var step = CommonOptions.Step("Sending step: the envelope travels edge STEP → STEP+1; 0 is the client (default 0).");
        var function = new Option<string>("--function") { Description = "Function name recorded in the metadata.", HelpName = "NAME" };
        var contentType = new Option<string>("--content-type")
        {
            Description = "Media type of the payload.",
            HelpName = "TYPE",
            DefaultValueFactory = _ => "application/octet-stream",
        };
        var requestId = CommonOptions.RequestIdOption();
        var pad = new Option<bool>("--pad") { Description = "Pad the length to a size bucket (powers of two up to 64 KiB, then 64 KiB multiples)." };
        var chunkSize = CommonOptions.Size("--chunk-size", "Plaintext bytes per chunk, a power of two from 64 B to 4 MiB (default 64KiB).");
        var input = CommonOptions.In();
        var output = CommonOptions.Out();
        var command = new Command("seal", "Seal standard input into an envelope for one edge of a chain, written to standard output.")
        {
            key, meta, chain, step, function, contentType, requestId, pad, chunkSize, input, output,
        };
        Examples.Set(command,
            "echo 'hello' | carapace seal --key ns.key > msg.env",
            "carapace seal --key ns.key --chain orders --step 0 --meta team=blue,env=prod --pad < order.json > order.env");

        command.SetHandler(async (parse, cancel) =>
        {
            if (!MetaPairs.TryParse(parse.GetValue(meta) ?? [], out var attributes, out var metaError))
            {
                throw new CliFailure(metaError, ExitCodes.Usage);
            }

            var size = parse.GetValue(chunkSize) ?? EnvelopeHeader.DefaultChunkSize;
            if (size is < 1 << EnvelopeHeader.MinChunkSizeLog2 or > 1 << EnvelopeHeader.MaxChunkSizeLog2 || !long.IsPow2(size))
            {
                throw new CliFailure("--chunk-size must be a power of two from 64 B to 4 MiB", ExitCodes.Usage);
            }

            var options = new SealOptions
            {
                RequestId = parse.GetValue(requestId),
                Function = parse.GetValue(function) ?? string.Empty,
                ContentType = parse.GetValue(contentType) ?? "application/octet-stream",
                Attributes = attributes,
                Pad = parse.GetValue(pad),
                ChunkSize = (int)size,
            };

            using var master = KeyFile.Read(parse.GetRequiredValue(key));
            var from = parse.GetValue(step) ?? 0;
            using var edge = master.Derive(parse.GetValue(chain) ?? "default", from, from + 1);
            await using var source = CliIo.OpenInput(parse.GetValue(input));
            await using var sink = CliIo.OpenOutput(parse.GetValue(output));
            await EnvelopeSealer.SealAsync(edge, source, sink.Stream, options, cancel).ConfigureAwait(false);
            await sink.CommitAsync(cancel).ConfigureAwait(false);
            return ExitCodes.Ok;
        });
        return command;
    }
}
