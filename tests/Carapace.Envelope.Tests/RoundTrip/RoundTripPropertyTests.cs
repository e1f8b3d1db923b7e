using Carapace.Envelope.Sealing;
using Carapace.Envelope.Tests.Support;
using FsCheck.Xunit;

namespace Carapace.Envelope.Tests.RoundTrip;

/// <summary>Whatever is sealed opens to the same bytes, through every combination of sealer and opener.</summary>
public sealed class RoundTripPropertyTests
{
    [Property(MaxTest = 200, Arbitrary = [typeof(EnvelopeArbitraries)])]
    public void Span_sealed_envelopes_open_with_the_span_opener(SizeCase c) => AssertRoundTrip(c, SealApi.Span, OpenApi.Span);

    [Property(MaxTest = 200, Arbitrary = [typeof(EnvelopeArbitraries)])]
    public void Stream_sealed_envelopes_open_with_the_stream_opener(SizeCase c) => AssertRoundTrip(c, SealApi.Stream, OpenApi.Stream);

    [Property(MaxTest = 200, Arbitrary = [typeof(EnvelopeArbitraries)])]
    public void Span_sealed_envelopes_open_with_the_stream_opener(SizeCase c) => AssertRoundTrip(c, SealApi.Span, OpenApi.Stream);

    [Property(MaxTest = 200, Arbitrary = [typeof(EnvelopeArbitraries)])]
    public void Stream_sealed_envelopes_open_with_the_span_opener(SizeCase c) => AssertRoundTrip(c, SealApi.Stream, OpenApi.Span);

    [Property(MaxTest = 100, Arbitrary = [typeof(EnvelopeArbitraries)])]
    public void Every_sealer_and_opener_pair_round_trips(SizeCase c)
    {
        foreach (var seal in Envelopes.SealApis)
        {
            foreach (var open in Envelopes.OpenApis)
            {
                AssertRoundTrip(c, seal, open);
            }
        }
    }

    [Property(MaxTest = 200, Arbitrary = [typeof(EnvelopeArbitraries)])]
    public void Span_and_stream_sealers_lay_out_envelopes_of_equal_length(SizeCase c)
    {
        using var key = TestKeys.Edge();
        var options = new SealOptions { ChunkSize = c.ChunkSize, Pad = c.Pad };
        var payload = c.Payload();

        var viaSpan = Envelopes.Seal(SealApi.Span, key, payload, options);
        var viaStream = Envelopes.Seal(SealApi.Stream, key, payload, options);
        var viaWriter = Envelopes.Seal(SealApi.BufferWriter, key, payload, options);

        Assert.Equal(viaSpan.Length, viaStream.Length);
        Assert.Equal(viaSpan.Length, viaWriter.Length);
        Assert.Equal(Layout.Of(viaSpan).Chunks.Select(r => r.GetOffsetAndLength(viaSpan.Length).Length),
            Layout.Of(viaStream).Chunks.Select(r => r.GetOffsetAndLength(viaStream.Length).Length));
    }

    [Property(MaxTest = 200, Arbitrary = [typeof(EnvelopeArbitraries)])]
    public void Unpadded_envelopes_have_one_chunk_per_started_chunk_of_payload(SizeCase c)
    {
        using var key = TestKeys.Edge();
        var envelope = EnvelopeSealer.Seal(key, c.Payload(), new SealOptions { ChunkSize = c.ChunkSize });
        var layout = Layout.Of(envelope);

        var expectedChunks = Math.Max(1, (c.Length + c.ChunkSize - 1) / c.ChunkSize);
        Assert.Equal(expectedChunks, layout.Chunks.Count);
        Assert.Equal(layout.HeaderLength + c.Length + (16 * expectedChunks), envelope.Length);
    }

    private static void AssertRoundTrip(SizeCase c, SealApi sealApi, OpenApi openApi)
    {
        using var key = TestKeys.Edge();
        var payload = c.Payload();

        var envelope = Envelopes.Seal(sealApi, key, payload, new SealOptions { ChunkSize = c.ChunkSize, Pad = c.Pad });
        var opened = Envelopes.Open(openApi, key, envelope);

        Assert.Equal(payload, opened.Payload);
    }
}
