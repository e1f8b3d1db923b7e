using Carapace.Envelope.Format;
using Carapace.Envelope.Keys;
using Carapace.Envelope.Sealing;
using Carapace.Envelope.Tests.Support;

namespace Carapace.Envelope.Tests.Tampering;

/// <summary>The small message the tamper tests attack: chunk size 64, 150 bytes → chunks of 64, 64 and 22 bytes.</summary>
internal static class Sample
{
    public const int ChunkSize = 64;
    public const int PayloadLength = 150;

    public static readonly RequestId RequestId = RequestId.FromBytes(Enumerable.Range(0xa0, 16).Select(i => (byte)i).ToArray());

    public static byte[] Payload(int length = PayloadLength) => Payloads.WithMarker(length);

    public static SealOptions Options(bool pad = false) => new()
    {
        ChunkSize = ChunkSize,
        Pad = pad,
        RequestId = RequestId,
        Function = "resize",
        ContentType = "image/png",
        Attributes = new Dictionary<string, string> { ["tenant"] = "acme" },
    };

    public static byte[] Seal(EdgeKey key, bool pad = false, int length = PayloadLength) =>
        EnvelopeSealer.Seal(key, Payload(length), Options(pad));

    /// <summary>The kinds a change to a header byte may produce, depending on which parse or check it trips first.</summary>
    public static readonly EnvelopeErrorKind[] HeaderKinds =
    [
        EnvelopeErrorKind.Malformed,
        EnvelopeErrorKind.UnsupportedVersion,
        EnvelopeErrorKind.WrongKey,
        EnvelopeErrorKind.AuthenticationFailed,
        EnvelopeErrorKind.TooLarge,
        EnvelopeErrorKind.Truncated,
    ];

    /// <summary>Opens and describes what happened: null when rejected with an allowed kind, otherwise a description.</summary>
    public static string? Unexpected(OpenApi api, EdgeKey key, byte[] envelope, params EnvelopeErrorKind[] allowed)
    {
        try
        {
            Envelopes.Open(api, key, envelope);
            return "opened successfully";
        }
        catch (EnvelopeException e) when (allowed.Contains(e.Kind))
        {
            return null;
        }
        catch (Exception e)
        {
            return $"{e.GetType().Name}{(e is EnvelopeException ee ? $" ({ee.Kind})" : string.Empty)}: {e.Message}";
        }
    }
}
