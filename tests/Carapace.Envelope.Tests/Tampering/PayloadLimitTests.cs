using Carapace.Envelope.Sealing;
using Carapace.Envelope.Tests.Support;

namespace Carapace.Envelope.Tests.Tampering;

/// <summary><see cref="OpenOptions.MaxPayloadBytes"/> rejects larger payloads before a byte past the limit is released.</summary>
public sealed class PayloadLimitTests
{
    [Theory]
    [InlineData(OpenApi.Span, 149)]
    [InlineData(OpenApi.Stream, 149)]
    [InlineData(OpenApi.BufferWriter, 149)]
    [InlineData(OpenApi.Span, 0)]
    [InlineData(OpenApi.Stream, 0)]
    [InlineData(OpenApi.BufferWriter, 0)]
    [InlineData(OpenApi.Stream, 64)]
    public void Open_rejects_a_payload_over_the_limit_as_too_large(OpenApi api, long limit)
    {
        using var key = TestKeys.Edge();

        var error = Envelopes.Reject(api, key, Sample.Seal(key), new OpenOptions { MaxPayloadBytes = limit });

        Assert.Equal(EnvelopeErrorKind.TooLarge, error.Kind);
    }

    [Theory]
    [InlineData(OpenApi.Span)]
    [InlineData(OpenApi.Stream)]
    [InlineData(OpenApi.BufferWriter)]
    public void Open_accepts_a_payload_exactly_at_the_limit(OpenApi api)
    {
        using var key = TestKeys.Edge();

        var opened = Envelopes.Open(api, key, Sample.Seal(key), new OpenOptions { MaxPayloadBytes = Sample.PayloadLength });

        Assert.Equal(Sample.Payload(), opened.Payload);
    }

    [Theory]
    [InlineData(OpenApi.Span)]
    [InlineData(OpenApi.Stream)]
    [InlineData(OpenApi.BufferWriter)]
    public void Padding_does_not_count_against_the_limit(OpenApi api)
    {
        using var key = TestKeys.Edge();
        var e = EnvelopeSealer.Seal(key, "0123456789"u8, new SealOptions { Pad = true });

        var opened = Envelopes.Open(api, key, e, new OpenOptions { MaxPayloadBytes = 10 });

        Assert.Equal("0123456789"u8.ToArray(), opened.Payload);
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(63, 0)]
    [InlineData(64, 64)]
    [InlineData(100, 64)]
    [InlineData(128, 128)]
    [InlineData(149, 128)]
    public void Stream_opener_releases_only_whole_chunks_within_the_limit(long limit, int expectedWritten)
    {
        using var key = TestKeys.Edge();

        var (error, written) = Envelopes.OpenStreamRecording(key, Sample.Seal(key), new OpenOptions { MaxPayloadBytes = limit });

        Assert.Equal(EnvelopeErrorKind.TooLarge, Assert.IsType<EnvelopeException>(error).Kind);
        Assert.Equal(Sample.Payload()[..expectedWritten], written.Bytes);
    }
}
