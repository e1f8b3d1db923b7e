using Carapace.Envelope.Format;
using Carapace.Envelope.Tests.Support;

namespace Carapace.Envelope.Tests.Golden;

/// <summary>The checked-in v1 envelopes still open, to the checked-in plaintext and metadata.</summary>
public sealed class GoldenFileTests
{
    public static TheoryData<bool, OpenApi> Cases() => new()
    {
        { false, OpenApi.Span },
        { false, OpenApi.Stream },
        { false, OpenApi.BufferWriter },
        { true, OpenApi.Span },
        { true, OpenApi.Stream },
        { true, OpenApi.BufferWriter },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Golden_envelope_opens_to_the_golden_plaintext(bool padded, OpenApi api)
    {
        using var key = GoldenFiles.EdgeKey();

        var opened = Envelopes.Open(api, key, GoldenFiles.Sealed(padded));

        Assert.Equal(GoldenFiles.Plaintext, opened.Payload);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Golden_envelope_carries_the_golden_metadata(bool padded, OpenApi api)
    {
        using var key = GoldenFiles.EdgeKey();

        var m = Envelopes.Open(api, key, GoldenFiles.Sealed(padded)).Metadata;

        Assert.Equal(GoldenFiles.RequestId, m.RequestId);
        Assert.Equal(GoldenFiles.Chain, m.ChainId);
        Assert.Equal(0, m.Step);
        Assert.Equal(1, m.NextStep);
        Assert.Equal("golden-fn", m.Function);
        Assert.Equal("text/plain; charset=utf-8", m.ContentType);
        Assert.Equal(GoldenFiles.KeyIdHex, m.KeyId.ToString());
        Assert.Equal(GoldenFiles.Attributes.OrderBy(a => a.Key, StringComparer.Ordinal), m.Attributes.ToArray());
    }

    [Fact]
    public void Golden_key_file_holds_bytes_0_to_31_and_derives_the_golden_key_id()
    {
        using var master = GoldenFiles.MasterKey();
        using var edge = GoldenFiles.EdgeKey();
        var bytes = new byte[32];

        master.CopyTo(bytes);

        Assert.Equal(TestKeys.MasterBytes(), bytes);
        Assert.Equal(GoldenFiles.KeyIdHex, edge.Id.ToString());
    }

    [Theory]
    [InlineData(false, 0x00, 564, 35 + 16)]
    [InlineData(true, 0x01, 597, 68 + 16)]
    public void Golden_envelope_header_fields_and_chunk_layout_are_as_recorded(bool padded, byte flags, int length, int finalChunk)
    {
        var envelope = GoldenFiles.Sealed(padded);
        var header = EnvelopeHeader.Parse(envelope);
        var layout = Layout.Of(envelope);

        Assert.Equal(length, envelope.Length);
        Assert.Equal("CRPE"u8.ToArray(), envelope[..4]);
        Assert.Equal(new byte[] { 1, flags, 6, 0 }, envelope[4..8]);
        Assert.Equal(new byte[] { 0, 0, 0, 149 }, envelope[40..44]);
        Assert.Equal(193, header.Length);
        Assert.Equal(64, header.ChunkSize);
        Assert.Equal(padded, header.Padded);
        Assert.Equal(5, layout.Chunks.Count);
        Assert.Equal(finalChunk, layout.Chunks[^1].GetOffsetAndLength(envelope.Length).Length);
    }

    [Fact]
    public void Golden_metadata_is_canonical_cbor_that_reencodes_identically()
    {
        var envelope = GoldenFiles.Sealed(padded: false);
        var header = EnvelopeHeader.Parse(envelope);

        Assert.Equal(envelope[44..header.Length], MetadataCodec.Encode(header.Metadata));
    }

    [Fact]
    public void Golden_envelopes_are_rejected_with_another_edge_key()
    {
        using var master = GoldenFiles.MasterKey();
        using var other = master.Derive(GoldenFiles.Chain, 1, 2);

        var error = Envelopes.Reject(OpenApi.Span, other, GoldenFiles.Sealed(padded: false));

        Assert.Equal(EnvelopeErrorKind.WrongKey, error.Kind);
    }
}
