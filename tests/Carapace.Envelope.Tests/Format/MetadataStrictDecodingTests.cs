using System.Buffers.Binary;
using Carapace.Envelope.Format;
using Carapace.Envelope.Tests.Support;

namespace Carapace.Envelope.Tests.Format;

/// <summary>Anything but canonical metadata with exactly the eight known fields is Malformed.</summary>
public sealed class MetadataStrictDecodingTests
{
    public static TheoryData<string> Variants() =>
    [
        "unsorted-keys", "unknown-field", "ninth-field", "missing-field", "duplicate-field", "non-shortest-integer",
        "indefinite-map", "indefinite-text", "trailing-bytes", "short-request-id", "request-id-as-text", "key-id-not-hex",
        "key-id-upper-case", "key-id-short", "negative-step", "negative-next", "step-too-large", "step-as-text", "step-as-float",
        "invalid-utf8", "empty-attribute-name", "too-many-attributes", "attribute-value-too-long", "function-too-long",
        "unsorted-attributes", "tagged-value", "empty", "array", "attribute-value-not-text", "null-function",
        "huge-text-length", "huge-byte-string-length", "huge-attribute-map", "huge-outer-map", "step-u64-max", "truncated-map",
    ];

    [Theory]
    [MemberData(nameof(Variants))]
    public void Decoding_non_canonical_or_unexpected_metadata_is_malformed(string variant)
    {
        var error = Assert.Throws<EnvelopeException>(() => MetadataCodec.Decode(Build(variant)));

        Assert.Equal(EnvelopeErrorKind.Malformed, error.Kind);
    }

    [Theory]
    [InlineData("unsorted-keys")]
    [InlineData("unknown-field")]
    [InlineData("missing-field")]
    [InlineData("negative-step")]
    [InlineData("invalid-utf8")]
    [InlineData("key-id-upper-case")]
    public void Parsing_a_header_with_such_metadata_is_malformed(string variant)
    {
        var metadata = Build(variant);
        var header = new byte[EnvelopeHeader.FixedLength + metadata.Length];
        "CRPE"u8.CopyTo(header);
        header[4] = 1;
        header[6] = 6;
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(40), (uint)metadata.Length);
        metadata.CopyTo(header, EnvelopeHeader.FixedLength);

        Assert.Equal(EnvelopeErrorKind.Malformed, Assert.Throws<EnvelopeException>(() => EnvelopeHeader.Parse(header)).Kind);
        using var stream = new MemoryStream(header);
        Assert.Equal(EnvelopeErrorKind.Malformed,
            Assert.Throws<EnvelopeException>(() => Envelopes.Wait(EnvelopeHeader.ReadAsync(stream).AsTask())).Kind);
    }

    private static byte[] Build(string variant)
    {
        var fields = Cbor.ValidFields();
        switch (variant)
        {
            case "unsorted-keys": return Cbor.Map([.. fields.OrderBy(f => f.Key, StringComparer.Ordinal)]);
            case "unknown-field": return Cbor.Map([.. fields.Select(f => f.Key == "fn" ? ("fx", f.Value) : f)]);
            case "ninth-field": return Cbor.Map([.. fields, ("zzzzzz", Cbor.Text("x"))]);
            case "missing-field": return Cbor.Map([.. fields.Where(f => f.Key != "kid")]);
            case "duplicate-field": return Cbor.Map([.. fields.Select(f => f.Key == "fn" ? ("ct", f.Value) : f)]);
            case "non-shortest-integer": return Cbor.Map([.. Cbor.With("step", Cbor.Raw(0x18, 0x01))]);
            case "indefinite-map":
                var definite = Cbor.Map([.. fields]);
                return [0xbf, .. definite[1..], 0xff];
            case "indefinite-text": return Cbor.Map([.. Cbor.With("fn", Cbor.Raw(0x7f, 0x61, 0x61, 0xff))]);
            case "trailing-bytes": return [.. Cbor.Map([.. fields]), 0x00];
            case "short-request-id": return Cbor.Map([.. Cbor.With("rid", Cbor.Bytes(new byte[15]))]);
            case "request-id-as-text": return Cbor.Map([.. Cbor.With("rid", Cbor.Text("0123456789abcdef"))]);
            case "key-id-not-hex": return Cbor.Map([.. Cbor.With("kid", Cbor.Text("0123456789abcdeg"))]);
            case "key-id-upper-case": return Cbor.Map([.. Cbor.With("kid", Cbor.Text("0123456789ABCDEF"))]);
            case "key-id-short": return Cbor.Map([.. Cbor.With("kid", Cbor.Text("0123"))]);
            case "negative-step": return Cbor.Map([.. Cbor.With("step", Cbor.Int(-1))]);
            case "negative-next": return Cbor.Map([.. Cbor.With("next", Cbor.Int(-5))]);
            case "step-too-large": return Cbor.Map([.. Cbor.With("step", Cbor.UInt((ulong)int.MaxValue + 1))]);
            case "step-as-text": return Cbor.Map([.. Cbor.With("step", Cbor.Text("1"))]);
            case "step-as-float": return Cbor.Map([.. Cbor.With("step", Cbor.Raw(0xf9, 0x3c, 0x00))]);
            case "invalid-utf8": return Cbor.Map([.. Cbor.With("fn", Cbor.Raw(0x62, 0xc3, 0x28))]);
            case "empty-attribute-name": return Cbor.Map([.. Cbor.With("ext", Cbor.Map((string.Empty, Cbor.Text("v"))))]);
            case "too-many-attributes":
                return Cbor.Map([.. Cbor.With("ext", Cbor.LongMap([.. Enumerable.Range(0, 65).Select(i => ($"k{i:d2}", "v"))]))]);
            case "attribute-value-too-long": return Cbor.Map([.. Cbor.With("ext", Cbor.Map(("k", Cbor.Text(new string('v', 1025)))))]);
            case "function-too-long": return Cbor.Map([.. Cbor.With("fn", Cbor.Text(new string('f', 257)))]);
            case "unsorted-attributes": return Cbor.Map([.. Cbor.With("ext", Cbor.Map(("bb", Cbor.Text("1")), ("a", Cbor.Text("2"))))]);
            case "tagged-value": return Cbor.Map([.. Cbor.With("fn", Cbor.Raw([0xc0, .. Cbor.Text("x")]))]);
            case "empty": return [];
            case "array": return [0x81, 0x00];
            case "attribute-value-not-text": return Cbor.Map([.. Cbor.With("ext", Cbor.Map(("k", Cbor.UInt(1))))]);
            case "null-function": return Cbor.Map([.. Cbor.With("fn", Cbor.Raw(0xf6))]);
            case "huge-text-length": return Cbor.Map([.. Cbor.With("fn", Cbor.Raw(0x7b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff))]);
            case "huge-byte-string-length": return Cbor.Map([.. Cbor.With("rid", Cbor.Raw(0x5b, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff))]);
            case "huge-attribute-map": return Cbor.Map([.. Cbor.With("ext", Cbor.Raw(0xbb, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00))]);
            case "huge-outer-map": return [0xbb, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, .. Cbor.Map([.. fields])[1..]];
            case "step-u64-max": return Cbor.Map([.. Cbor.With("step", Cbor.UInt(ulong.MaxValue))]);
            case "truncated-map": return Cbor.Map([.. fields])[..^3];
            default: throw new ArgumentOutOfRangeException(nameof(variant));
        }
    }
}
