using Carapace.Envelope.Format;
using Carapace.Envelope.Sealing;
using Carapace.Envelope.Tests.Support;
using FsCheck.Xunit;

namespace Carapace.Envelope.Tests.RoundTrip;

/// <summary>Every metadata field comes out of an envelope exactly as it went in, through both APIs.</summary>
public sealed class MetadataRoundTripTests
{
    [Property(MaxTest = 150, Arbitrary = [typeof(EnvelopeArbitraries)])]
    public void Metadata_survives_span_seal_and_both_openers(MetadataCase c)
    {
        using var master = TestKeys.Master();
        using var key = master.Derive(c.Chain, c.From, c.To);
        var envelope = EnvelopeSealer.Seal(key, "payload"u8, Options(c));

        foreach (var api in Envelopes.OpenApis)
        {
            var opened = Envelopes.Open(api, key, envelope);
            AssertMatches(c, key.Id, opened.Metadata);
            Assert.Equal("payload"u8.ToArray(), opened.Payload);
        }

        AssertMatches(c, key.Id, EnvelopeHeader.Parse(envelope).Metadata);
    }

    [Property(MaxTest = 150, Arbitrary = [typeof(EnvelopeArbitraries)])]
    public void Metadata_survives_stream_seal_and_the_stream_opener(MetadataCase c)
    {
        using var master = TestKeys.Master();
        using var key = master.Derive(c.Chain, c.From, c.To);
        using var source = new MemoryStream(Payloads.Random(300));
        using var sealedStream = new MemoryStream();

        var written = Envelopes.Wait(EnvelopeSealer.SealAsync(key, source, sealedStream, Options(c)));
        var opened = Envelopes.Open(OpenApi.Stream, key, sealedStream.ToArray());

        AssertMatches(c, key.Id, written);
        AssertMatches(c, key.Id, opened.Metadata);
    }

    [Fact]
    public void A_fresh_request_id_is_chosen_when_none_is_given()
    {
        using var key = TestKeys.Edge();

        var first = EnvelopeHeader.Parse(EnvelopeSealer.Seal(key, "x"u8)).Metadata.RequestId;
        var second = EnvelopeHeader.Parse(EnvelopeSealer.Seal(key, "x"u8)).Metadata.RequestId;

        Assert.NotEqual(first, second);
        Assert.NotEqual(default, first);
    }

    [Fact]
    public void Default_options_seal_an_octet_stream_with_no_function_and_no_attributes()
    {
        using var key = TestKeys.Edge("defaults", 2, 3);

        var metadata = Envelopes.Open(OpenApi.Span, key, EnvelopeSealer.Seal(key, "x"u8)).Metadata;

        Assert.Equal("application/octet-stream", metadata.ContentType);
        Assert.Equal(string.Empty, metadata.Function);
        Assert.Empty(metadata.Attributes);
        Assert.Equal(("defaults", 2, 3), (metadata.ChainId, metadata.Step, metadata.NextStep));
    }

    private static SealOptions Options(MetadataCase c) => new()
    {
        Function = c.Function,
        ContentType = c.ContentType,
        Attributes = c.Attributes,
        RequestId = RequestId.FromBytes(c.RequestId),
    };

    private static void AssertMatches(MetadataCase c, Envelope.Keys.KeyId keyId, EnvelopeMetadata m)
    {
        Assert.Equal(c.Chain, m.ChainId);
        Assert.Equal(c.From, m.Step);
        Assert.Equal(c.To, m.NextStep);
        Assert.Equal(c.Function, m.Function);
        Assert.Equal(c.ContentType, m.ContentType);
        Assert.Equal(RequestId.FromBytes(c.RequestId), m.RequestId);
        Assert.Equal(keyId, m.KeyId);
        Assert.Equal(c.Attributes.OrderBy(a => a.Key, StringComparer.Ordinal), m.Attributes.ToArray());
    }
}
