using System.Formats.Cbor;
using Carapace.Envelope.Format;
using Carapace.Envelope.Sealing;
using Carapace.Envelope.Tests.Support;
using FsCheck.Xunit;

namespace Carapace.Envelope.Tests.Format;

/// <summary>Metadata is encoded canonically, so decoding and encoding again reproduces the exact bytes.</summary>
public sealed class MetadataCanonicalTests
{
    [Property(MaxTest = 200, Arbitrary = [typeof(EnvelopeArbitraries)])]
    public void Decoding_then_encoding_metadata_is_byte_identical(MetadataCase c)
    {
        using var master = TestKeys.Master();
        using var key = master.Derive(c.Chain, c.From, c.To);
        var envelope = EnvelopeSealer.Seal(key, [], new SealOptions
        {
            Function = c.Function,
            ContentType = c.ContentType,
            Attributes = c.Attributes,
            RequestId = RequestId.FromBytes(c.RequestId),
        });
        var header = EnvelopeHeader.Parse(envelope);
        var encoded = envelope[EnvelopeHeader.FixedLength..header.Length];

        var reencoded = MetadataCodec.Encode(MetadataCodec.Decode(encoded));

        Assert.Equal(encoded, reencoded);
        Assert.Equal(encoded, MetadataCodec.Encode(header.Metadata));
    }

    [Fact]
    public void Hand_written_canonical_metadata_decodes()
    {
        var m = MetadataCodec.Decode(Cbor.Map([.. Cbor.ValidFields()]));

        Assert.Equal(("c", 1, 2, "resize", "text/plain"), (m.ChainId, m.Step, m.NextStep, m.Function, m.ContentType));
        Assert.Equal("0123456789abcdef", m.KeyId.ToString());
        Assert.Equal("v", m.Attributes["k"]);
        Assert.Equal(Cbor.Map([.. Cbor.ValidFields()]), MetadataCodec.Encode(m));
    }

    [Fact]
    public void Keys_are_written_length_first_then_bytewise()
    {
        using var key = TestKeys.Edge();
        var envelope = EnvelopeSealer.Seal(key, [], new SealOptions
        {
            Attributes = new Dictionary<string, string> { ["bb"] = "2", ["a"] = "1", ["c"] = "3", ["B"] = "0" },
        });
        var header = EnvelopeHeader.Parse(envelope);
        var r = new CborReader(envelope.AsMemory(EnvelopeHeader.FixedLength, header.Length - EnvelopeHeader.FixedLength), CborConformanceMode.Lax);
        var keys = new List<string>();
        var attributeKeys = new List<string>();

        Assert.Equal(8, r.ReadStartMap());
        for (var i = 0; i < 8; i++)
        {
            keys.Add(r.ReadTextString());
            if (keys[^1] == "ext")
            {
                var count = r.ReadStartMap();
                for (var j = 0; j < count; j++)
                {
                    attributeKeys.Add(r.ReadTextString());
                    r.SkipValue();
                }

                r.ReadEndMap();
            }
            else
            {
                r.SkipValue();
            }
        }

        Assert.Equal(["ct", "fn", "ext", "kid", "rid", "next", "step", "chain"], keys);
        Assert.Equal(["B", "a", "c", "bb"], attributeKeys);
    }

    [Fact]
    public void Attributes_are_exposed_in_ordinal_name_order()
    {
        using var key = TestKeys.Edge();
        var envelope = EnvelopeSealer.Seal(key, [], new SealOptions
        {
            Attributes = new Dictionary<string, string> { ["bb"] = "2", ["a"] = "1", ["c"] = "3", ["B"] = "0" },
        });

        var names = EnvelopeHeader.Parse(envelope).Metadata.Attributes.Keys;

        Assert.Equal(["B", "a", "bb", "c"], names);
    }
}
