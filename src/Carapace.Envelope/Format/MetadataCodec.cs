using System.Formats.Cbor;
using System.Text;
using Carapace.Envelope.Keys;

namespace Carapace.Envelope.Format;

/// <summary>
/// Canonical CBOR (RFC 7049 §3.9: definite lengths, shortest integers, keys sorted length-first) for
/// <see cref="EnvelopeMetadata"/>. Decoding is strict: every field present once, no unknown field, canonical order.
/// </summary>
internal static class MetadataCodec
{
    public const int MaxEncodedBytes = 16 * 1024;

    private const string KeyRequestId = "rid";
    private const string KeyChain = "chain";
    private const string KeyStep = "step";
    private const string KeyNext = "next";
    private const string KeyFunction = "fn";
    private const string KeyKeyId = "kid";
    private const string KeyContentType = "ct";
    private const string KeyAttributes = "ext";
    private const int FieldCount = 8;

    public static byte[] Encode(EnvelopeMetadata m)
    {
        Validate(m);
        var w = new CborWriter(CborConformanceMode.Canonical);
        w.WriteStartMap(FieldCount);
        Span<byte> rid = stackalloc byte[RequestId.Size];
        m.RequestId.WriteTo(rid);
        w.WriteTextString(KeyRequestId);
        w.WriteByteString(rid);
        w.WriteTextString(KeyChain);
        w.WriteTextString(m.ChainId);
        w.WriteTextString(KeyStep);
        w.WriteUInt32((uint)m.Step);
        w.WriteTextString(KeyNext);
        w.WriteUInt32((uint)m.NextStep);
        w.WriteTextString(KeyFunction);
        w.WriteTextString(m.Function);
        w.WriteTextString(KeyKeyId);
        w.WriteTextString(m.KeyId.ToString());
        w.WriteTextString(KeyContentType);
        w.WriteTextString(m.ContentType);
        w.WriteTextString(KeyAttributes);
        w.WriteStartMap(m.Attributes.Count);
        foreach (var (k, v) in m.Attributes)
        {
            w.WriteTextString(k);
            w.WriteTextString(v);
        }

        w.WriteEndMap();
        w.WriteEndMap();
        var encoded = w.Encode();
        if (encoded.Length > MaxEncodedBytes)
        {
            throw new ArgumentException($"envelope metadata encodes to {encoded.Length} bytes; the limit is {MaxEncodedBytes}");
        }

        return encoded;
    }

    /// <summary>Decodes canonical CBOR metadata strictly (exactly the fields <see cref="Encode"/> writes, each in range).</summary>
    /// <exception cref="EnvelopeException">Malformed: the only exception for any input.</exception>
    public static EnvelopeMetadata Decode(ReadOnlyMemory<byte> encoded)
    {
        try
        {
            var r = new CborReader(encoded, CborConformanceMode.Canonical);
            var count = r.ReadStartMap();
            if (count != FieldCount)
            {
                throw EnvelopeException.Malformed($"metadata has {count?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "an indefinite number of"} fields, expected {FieldCount}");
            }

            RequestId? rid = null;
            string? chain = null, function = null, contentType = null;
            int? step = null, next = null;
            KeyId? keyId = null;
            SortedDictionary<string, string>? attributes = null;
            for (var i = 0; i < FieldCount; i++)
            {
                var key = r.ReadTextString();
                switch (key)
                {
                    case KeyRequestId:
                        var bytes = r.ReadByteString();
                        if (bytes.Length != RequestId.Size)
                        {
                            throw EnvelopeException.Malformed($"request id is {bytes.Length} bytes, expected {RequestId.Size}");
                        }

                        rid = RequestId.FromBytes(bytes);
                        break;
                    case KeyChain:
                        chain = ReadName(r, "chain id");
                        break;
                    case KeyStep:
                        step = ReadStep(r, "step");
                        break;
                    case KeyNext:
                        next = ReadStep(r, "next step");
                        break;
                    case KeyFunction:
                        function = ReadName(r, "function");
                        break;
                    case KeyKeyId:
                        // Lower case only: the encoding of given metadata is unique (upper case would parse to the same id).
                        var kidText = r.ReadTextString();
                        if (!KeyId.TryParse(kidText, out var kid) || kid.ToString() != kidText)
                        {
                            throw EnvelopeException.Malformed("key id is not 16 lower-case hex digits");
                        }

                        keyId = kid;
                        break;
                    case KeyContentType:
                        contentType = ReadName(r, "content type");
                        break;
                    case KeyAttributes:
                        attributes = ReadAttributes(r);
                        break;
                    default:
                        throw EnvelopeException.Malformed($"metadata has an unknown field '{Printable(key)}'");
                }
            }

            r.ReadEndMap();
            if (r.BytesRemaining != 0)
            {
                throw EnvelopeException.Malformed("metadata has trailing bytes");
            }

            // Canonical mode rejects duplicate keys, so eight known keys mean each was seen once.
            return new EnvelopeMetadata
            {
                RequestId = rid!.Value,
                ChainId = chain!,
                Step = step!.Value,
                NextStep = next!.Value,
                Function = function!,
                KeyId = keyId!.Value,
                ContentType = contentType!,
                Attributes = attributes!,
            };
        }
        catch (CborContentException e)
        {
            throw EnvelopeException.Malformed($"metadata is not canonical CBOR ({e.Message})");
        }
        catch (InvalidOperationException e)
        {
            throw EnvelopeException.Malformed($"metadata has an unexpected CBOR item ({e.Message})");
        }
    }

    internal static void Validate(EnvelopeMetadata m)
    {
        CheckName(m.ChainId, "chain id");
        CheckName(m.Function, "function");
        CheckName(m.ContentType, "content type");
        ArgumentOutOfRangeException.ThrowIfNegative(m.Step);
        ArgumentOutOfRangeException.ThrowIfNegative(m.NextStep);
        if (m.Attributes.Count > EnvelopeMetadata.MaxAttributes)
        {
            throw new ArgumentException($"at most {EnvelopeMetadata.MaxAttributes} metadata attributes are allowed, not {m.Attributes.Count}");
        }

        foreach (var (k, v) in m.Attributes)
        {
            var kb = Encoding.UTF8.GetByteCount(k);
            if (kb is 0 or > EnvelopeMetadata.MaxAttributeNameBytes)
            {
                throw new ArgumentException($"a metadata attribute name is 1..{EnvelopeMetadata.MaxAttributeNameBytes} UTF-8 bytes");
            }

            if (Encoding.UTF8.GetByteCount(v) > EnvelopeMetadata.MaxAttributeValueBytes)
            {
                throw new ArgumentException($"metadata attribute '{k}' is longer than {EnvelopeMetadata.MaxAttributeValueBytes} UTF-8 bytes");
            }
        }
    }

    private static void CheckName(string value, string what)
    {
        ArgumentNullException.ThrowIfNull(value, what);
        if (Encoding.UTF8.GetByteCount(value) > EnvelopeMetadata.MaxNameBytes)
        {
            throw new ArgumentException($"the {what} is longer than {EnvelopeMetadata.MaxNameBytes} UTF-8 bytes");
        }
    }

    private static string ReadName(CborReader r, string what)
    {
        var s = r.ReadTextString();
        if (Encoding.UTF8.GetByteCount(s) > EnvelopeMetadata.MaxNameBytes)
        {
            throw EnvelopeException.Malformed($"{what} is longer than {EnvelopeMetadata.MaxNameBytes} bytes");
        }

        return s;
    }

    private static int ReadStep(CborReader r, string what)
    {
        // ReadUInt64 throws OverflowException (not a CBOR exception) for a negative integer.
        if (r.PeekState() != CborReaderState.UnsignedInteger)
        {
            throw EnvelopeException.Malformed($"{what} is not an unsigned integer");
        }

        var v = r.ReadUInt64();
        if (v > int.MaxValue)
        {
            throw EnvelopeException.Malformed($"{what} {v} is out of range");
        }

        return (int)v;
    }

    private static SortedDictionary<string, string> ReadAttributes(CborReader r)
    {
        var count = r.ReadStartMap();
        if (count is null or > EnvelopeMetadata.MaxAttributes)
        {
            throw EnvelopeException.Malformed($"metadata has more than {EnvelopeMetadata.MaxAttributes} attributes");
        }

        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < count; i++)
        {
            var k = r.ReadTextString();
            var v = r.ReadTextString();
            var kb = Encoding.UTF8.GetByteCount(k);
            if (kb is 0 or > EnvelopeMetadata.MaxAttributeNameBytes || Encoding.UTF8.GetByteCount(v) > EnvelopeMetadata.MaxAttributeValueBytes)
            {
                throw EnvelopeException.Malformed("a metadata attribute name or value is too long or empty");
            }

            result[k] = v;
        }

        r.ReadEndMap();
        return result;
    }

    // Unknown keys are attacker-chosen: show at most a short, printable prefix.
    private static string Printable(string s)
    {
        var cut = s.Length > 32 ? s[..32] + "…" : s;
        return string.Concat(cut.Select(c => char.IsControl(c) ? '?' : c));
    }
}
