using Carapace.Envelope;
using Carapace.Envelope.Format;

namespace Carapace.Fuzz.Targets;

/// <summary>The public part of an envelope: read by the untrusted controller and worker, and by the enclave before decryption.</summary>
internal static class EnvelopeTargets
{
    public static IEnumerable<FuzzTarget> All()
    {
        yield return new FuzzTarget(
            "envelope-header",
            "EnvelopeHeader.Parse and EnvelopeHeader.ReadAsync: magic, version, flags, chunk size, salt, metadata length and CBOR metadata",
            ParseHeader,
            [typeof(EnvelopeException)]);
        yield return new FuzzTarget(
            "envelope-metadata",
            "MetadataCodec.Decode: the canonical CBOR metadata map of an envelope header",
            input => MetadataCodec.Decode(input),
            [typeof(EnvelopeException)]);
    }

    private static void ParseHeader(byte[] input)
    {
        var parsed = EnvelopeHeader.Parse(input);
        _ = parsed.ChunkCount(input.Length - parsed.Length);

        // The stream reader must agree with the span parser on every input.
        using var stream = new MemoryStream(input, writable: false);
        var read = EnvelopeHeader.ReadAsync(stream).AsTask().GetAwaiter().GetResult();
        if (read.Length != parsed.Length || stream.Position != parsed.Length)
        {
            throw new InvalidOperationException("EnvelopeHeader.ReadAsync and EnvelopeHeader.Parse disagree on the header length");
        }
    }
}
