using System.CommandLine;
using System.Text.Json;
using Carapace.Cli.Infrastructure;
using Carapace.Envelope.Format;

namespace Carapace.Cli.Envelopes;

/// <summary><c>carapace inspect</c>: print an envelope's plaintext metadata as JSON, without a key.</summary>
internal static class InspectCommand
{
    public static Command Build()
    {
        var input = CommonOptions.In();
        var command = new Command(
            "inspect",
            "Print the plaintext metadata of an envelope (read from standard input) as JSON. Needs no key and verifies " +
            "nothing: it shows exactly what the platform can see.")
        {
            input,
        };
        Examples.Set(command, "carapace inspect < msg.env", "carapace inspect --in msg.env | jq .requestId");
        command.SetHandler(async (parse, cancel) =>
        {
            await using var source = CliIo.OpenInput(parse.GetValue(input));
            var header = await EnvelopeHeader.ReadAsync(source, cancel).ConfigureAwait(false);
            var body = await CountRemainingAsync(source, cancel).ConfigureAwait(false);
            await using var stdout = Console.OpenStandardOutput();
            Write(stdout, header, body);
            return ExitCodes.Ok;
        });
        return command;
    }

    internal static void Write(Stream destination, EnvelopeHeader header, long bodyLength)
    {
        var m = header.Metadata;
        using var json = new Utf8JsonWriter(destination, new JsonWriterOptions { Indented = true });
        json.WriteStartObject();
        json.WriteString("format", "carapace-envelope");
        json.WriteNumber("version", header.Version);
        json.WriteString("requestId", m.RequestId.ToString());
        json.WriteString("chainId", m.ChainId);
        json.WriteNumber("step", m.Step);
        json.WriteNumber("nextStep", m.NextStep);
        json.WriteString("function", m.Function);
        json.WriteString("keyId", m.KeyId.ToString());
        json.WriteString("contentType", m.ContentType);
        json.WriteStartObject("meta");
        foreach (var (k, v) in m.Attributes)
        {
            json.WriteString(k, v);
        }

        json.WriteEndObject();
        json.WriteNumber("chunkSize", header.ChunkSize);
        json.WriteBoolean("padded", header.Padded);
        json.WriteNumber("headerBytes", header.Length);
        json.WriteNumber("sealedBytes", header.Length + bodyLength);
        var chunks = header.ChunkCount(bodyLength);
        json.WriteNumber("chunks", chunks);
        if (!header.Padded && chunks > 0)
        {
            // Without padding the payload length is public: the sealed size minus one tag per chunk.
            json.WriteNumber("payloadBytes", Math.Max(0, bodyLength - (chunks * 16)));
        }

        json.WriteEndObject();
        json.Flush();
        destination.Write("\n"u8);
    }

    private static async Task<long> CountRemainingAsync(Stream source, CancellationToken cancel)
    {
        var buffer = new byte[1 << 16];
        long total = 0;
        int n;
        while ((n = await source.ReadAsync(buffer, cancel).ConfigureAwait(false)) > 0)
        {
            total += n;
        }

        return total;
    }
}
