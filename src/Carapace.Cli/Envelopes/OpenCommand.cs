using System.CommandLine;
using Carapace.Cli.Infrastructure;
using Carapace.Envelope;
using Carapace.Envelope.Format;
using Carapace.Envelope.Keys;
using Carapace.Envelope.Sealing;

namespace Carapace.Cli.Envelopes;

/// <summary><c>carapace open</c>: envelope on stdin → verified plaintext on stdout.</summary>
internal static class OpenCommand
{
    public static Command Build()
    {
        var key = CommonOptions.Key();
        var chain = CommonOptions.Chain("Require this chain id (default: the chain named in the envelope).");
        var step = CommonOptions.Step("Require this sending step, i.e. edge STEP → STEP+1 (default: the step named in the envelope).");
        var maxSize = CommonOptions.Size("--max-size", "Reject payloads larger than SIZE (e.g. 10MiB). Default: no limit.");
        var input = CommonOptions.In();
        var output = CommonOptions.Out();
        var command = new Command(
            "open",
            "Verify and decrypt an envelope from standard input, writing the payload to standard output. Only verified " +
            "chunks are ever written; on any failure the exit code is non-zero and one line on stderr says what was wrong.")
        {
            key, chain, step, maxSize, input, output,
        };
        Examples.Set(command,
            "carapace open --key ns.key < msg.env",
            "carapace open --key ns.key --chain orders --step 0 --out order.json < order.env");

        command.SetHandler(async (parse, cancel) =>
        {
            using var master = KeyFile.Read(parse.GetRequiredValue(key));
            var requiredChain = parse.GetValue(chain);
            var requiredStep = parse.GetValue(step);
            EdgeKey? edge = null;
            await using var source = CliIo.OpenInput(parse.GetValue(input));
            await using var sink = CliIo.OpenOutput(parse.GetValue(output));
            var counting = new CountingStream(sink.Stream);
            try
            {
                var options = new OpenOptions { MaxPayloadBytes = parse.GetValue(maxSize) ?? long.MaxValue };
                await EnvelopeOpener.OpenAsync(
                    metadata =>
                    {
                        var from = requiredStep ?? metadata.Step;
                        edge = master.Derive(requiredChain ?? metadata.ChainId, from, requiredStep is null ? metadata.NextStep : from + 1);
                        return edge;
                    },
                    source, counting, options, cancel).ConfigureAwait(false);
                await sink.CommitAsync(cancel).ConfigureAwait(false);
                return ExitCodes.Ok;
            }
            catch (EnvelopeException e) when (sink.IsStandardOutput && counting.BytesWritten > 0)
            {
                // Earlier chunks verified and went out; say that the output stops short.
                throw new CliFailure($"{e.Message}; the {counting.BytesWritten} bytes written before it are verified but incomplete");
            }
            finally
            {
                edge?.Dispose();
            }
        });
        return command;
    }
}
