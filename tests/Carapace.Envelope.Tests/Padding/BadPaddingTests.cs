using System.Buffers.Binary;
using Carapace.Envelope.Format;
using Carapace.Envelope.Sealing;
using Carapace.Envelope.Tests.Support;

namespace Carapace.Envelope.Tests.Padding;

/// <summary>
/// A padded final chunk that authenticates but whose padding is inconsistent (only a key holder can make one) is
/// rejected as malformed, and releases nothing.
/// </summary>
public sealed class BadPaddingTests
{
    public static TheoryData<string, OpenApi> Cases()
    {
        var data = new TheoryData<string, OpenApi>();
        foreach (var kind in new[] { "length-too-large", "length-max", "nonzero-padding" })
        {
            foreach (var api in Envelopes.OpenApis)
            {
                data.Add(kind, api);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Inconsistent_padding_is_malformed(string kind, OpenApi api)
    {
        using var key = TestKeys.Edge();
        var plain = new byte[64];
        Payloads.WithMarker(10).CopyTo(plain, 0);
        switch (kind)
        {
            case "length-too-large":
                BinaryPrimitives.WriteUInt32BigEndian(plain.AsSpan(60), 61);
                break;
            case "length-max":
                BinaryPrimitives.WriteUInt32BigEndian(plain.AsSpan(60), uint.MaxValue);
                break;
            default:
                plain[40] = 7;
                BinaryPrimitives.WriteUInt32BigEndian(plain.AsSpan(60), 50);
                break;
        }

        var envelope = SealRawFinalChunk(key, plain);

        var error = Envelopes.Reject(api, key, envelope);
        Assert.Equal(EnvelopeErrorKind.Malformed, error.Kind);
        Assert.Equal(0, error.ChunkIndex);
        Assert.DoesNotContain(Payloads.Marker, error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Hand_made_padded_chunk_with_consistent_padding_opens()
    {
        using var key = TestKeys.Edge();
        var plain = new byte[64];
        "hello"u8.CopyTo(plain);
        BinaryPrimitives.WriteUInt32BigEndian(plain.AsSpan(60), 55);

        var opened = Envelopes.Open(OpenApi.Span, key, SealRawFinalChunk(key, plain));

        Assert.Equal("hello"u8.ToArray(), opened.Payload);
    }

    [Fact]
    public void Stream_opener_writes_nothing_when_the_padding_is_bad()
    {
        using var key = TestKeys.Edge();
        var plain = new byte[64];
        Payloads.WithMarker(20).CopyTo(plain, 0);
        BinaryPrimitives.WriteUInt32BigEndian(plain.AsSpan(60), 1000);

        var (error, written) = Envelopes.OpenStreamRecording(key, SealRawFinalChunk(key, plain));

        Assert.IsType<EnvelopeException>(error);
        Assert.Empty(written.Bytes);
    }

    /// <summary>A padded, one-chunk envelope with a chunk-size-64 header whose final plaintext is exactly <paramref name="finalPlain"/>.</summary>
    private static byte[] SealRawFinalChunk(Envelope.Keys.EdgeKey key, byte[] finalPlain)
    {
        var metadata = new EnvelopeMetadata
        {
            RequestId = RequestId.New(),
            ChainId = key.ChainId,
            Step = key.FromStep,
            NextStep = key.ToStep,
            Function = string.Empty,
            KeyId = key.Id,
            ContentType = "text/plain",
        };
        var header = EnvelopeHeader.Create(metadata, 64, padded: true);
        var chunk = new byte[finalPlain.Length + 16];
        using (var cipher = new MessageCipher(key, header))
        {
            cipher.Seal(0, final: true, finalPlain, chunk);
        }

        return Bytes.Concat(header.Bytes.ToArray(), chunk);
    }
}
