using System.Buffers.Binary;
using Carapace.Envelope.Format;
using Carapace.Envelope.Keys;
using Carapace.Envelope.Tests.Support;

namespace Carapace.Envelope.Tests.Tampering;

/// <summary>
/// Metadata rewritten as valid canonical CBOR, with the length field fixed up, still fails: the whole header is the
/// associated data of every chunk.
/// </summary>
public sealed class MetadataEditTests
{
    public static TheoryData<string, OpenApi> Edits()
    {
        var data = new TheoryData<string, OpenApi>();
        foreach (var edit in new[] { "function", "content-type", "attribute-value", "attribute-added", "attributes-removed", "request-id", "step", "next", "chain" })
        {
            foreach (var api in Envelopes.OpenApis)
            {
                data.Add(edit, api);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Edits))]
    public void Open_rejects_metadata_reencoded_with_a_fixed_up_length(string edit, OpenApi api)
    {
        using var key = TestKeys.Edge();
        var e = Sample.Seal(key);
        var m = EnvelopeHeader.Parse(e).Metadata;
        var edited = edit switch
        {
            "function" => Copy(m, function: "delete"),
            "content-type" => Copy(m, contentType: "text/html"),
            "attribute-value" => Copy(m, attributes: new SortedDictionary<string, string>(StringComparer.Ordinal) { ["tenant"] = "evil" }),
            "attribute-added" => Copy(m, attributes: new SortedDictionary<string, string>(StringComparer.Ordinal) { ["tenant"] = "acme", ["admin"] = "1" }),
            "attributes-removed" => Copy(m, attributes: EnvelopeMetadata.EmptyAttributes),
            "request-id" => Copy(m, requestId: RequestId.New()),
            "step" => Copy(m, step: 5),
            "next" => Copy(m, next: 9),
            _ => Copy(m, chain: "other-chain"),
        };

        var error = Envelopes.Reject(api, key, Rewrite(e, edited));

        Assert.Equal(EnvelopeErrorKind.AuthenticationFailed, error.Kind);
        Assert.Equal(0, error.ChunkIndex);
    }

    [Theory]
    [InlineData(OpenApi.Span)]
    [InlineData(OpenApi.Stream)]
    [InlineData(OpenApi.BufferWriter)]
    public void Open_rejects_an_envelope_readdressed_to_another_key_id_when_opened_with_that_key(OpenApi api)
    {
        using var key = TestKeys.Edge();
        using var other = TestKeys.Edge(from: 1, to: 2);
        var e = Sample.Seal(key);
        var m = EnvelopeHeader.Parse(e).Metadata;

        var readdressed = Rewrite(e, Copy(m, keyId: other.Id, step: 1, next: 2));

        Assert.Equal(EnvelopeErrorKind.AuthenticationFailed, Envelopes.Reject(api, other, readdressed).Kind);
        Assert.Equal(EnvelopeErrorKind.WrongKey, Envelopes.Reject(api, key, readdressed).Kind);
    }

    [Fact]
    public void Rewriting_unchanged_metadata_reproduces_the_envelope()
    {
        using var key = TestKeys.Edge();
        var e = Sample.Seal(key);

        var same = Rewrite(e, EnvelopeHeader.Parse(e).Metadata);

        Assert.Equal(e, same);
        Assert.Equal(Sample.Payload(), Envelopes.Open(OpenApi.Span, key, same).Payload);
    }

    /// <summary>Replaces the metadata of <paramref name="envelope"/> and fixes up the length field; keeps everything else.</summary>
    private static byte[] Rewrite(byte[] envelope, EnvelopeMetadata metadata)
    {
        var header = EnvelopeHeader.Parse(envelope);
        var encoded = MetadataCodec.Encode(metadata);
        var fixedPart = envelope[..EnvelopeHeader.FixedLength];
        BinaryPrimitives.WriteUInt32BigEndian(fixedPart.AsSpan(40), (uint)encoded.Length);
        return Bytes.Concat(fixedPart, encoded, envelope[header.Length..]);
    }

    private static EnvelopeMetadata Copy(
        EnvelopeMetadata m, string? function = null, string? contentType = null, IReadOnlyDictionary<string, string>? attributes = null,
        RequestId? requestId = null, int? step = null, int? next = null, string? chain = null, KeyId? keyId = null) => new()
        {
            RequestId = requestId ?? m.RequestId,
            ChainId = chain ?? m.ChainId,
            Step = step ?? m.Step,
            NextStep = next ?? m.NextStep,
            Function = function ?? m.Function,
            KeyId = keyId ?? m.KeyId,
            ContentType = contentType ?? m.ContentType,
            Attributes = attributes ?? m.Attributes,
        };
}
