using System.Formats.Cbor;

namespace Carapace.Attestation.Nitro;

/// <summary>
/// An AWS Nitro Enclaves attestation document: a COSE_Sign1 (ES384) whose payload is the CBOR map AWS documents in
/// "Verifying the root of trust" (module_id, digest, timestamp, pcrs, certificate, cabundle and the optional
/// public_key, user_data and nonce), with each field's type and size checked as AWS specifies. Parsing proves
/// nothing: <see cref="NitroDocumentVerifier"/> checks the signature and the certificate chain.
/// </summary>
public sealed class NitroDocument
{
    /// <summary>The most bytes AWS allows in public_key, user_data, nonce and each certificate.</summary>
    public const int MaxFieldLength = 1024;

    private const int MaxPcrIndex = 31;

    private NitroDocument(CoseSign1 cose, Fields fields)
    {
        Cose = cose;
        ModuleId = fields.ModuleId!;
        Digest = fields.Digest!;
        TimestampMilliseconds = fields.Timestamp!.Value;
        Pcrs = fields.Pcrs!;
        Certificate = fields.Certificate!;
        CaBundle = fields.CaBundle!;
        PublicKey = fields.PublicKey is { } publicKey ? new ReadOnlyMemory<byte>(publicKey) : default(ReadOnlyMemory<byte>?);
        UserData = fields.UserData is { } userData ? new ReadOnlyMemory<byte>(userData) : default(ReadOnlyMemory<byte>?);
        Nonce = fields.Nonce is { } nonce ? new ReadOnlyMemory<byte>(nonce) : default(ReadOnlyMemory<byte>?);
    }

    /// <summary>module_id: the issuing Nitro hypervisor module.</summary>
    public string ModuleId { get; }

    /// <summary>digest: the PCR hash function; always "SHA384" once parsed.</summary>
    public string Digest { get; }

    /// <summary>timestamp: when the document was created, in milliseconds since the Unix epoch (UTC).</summary>
    public ulong TimestampMilliseconds { get; }

    /// <summary>timestamp as a time.</summary>
    public DateTimeOffset Timestamp => DateTimeOffset.UnixEpoch.AddMilliseconds(TimestampMilliseconds);

    /// <summary>pcrs: the locked PCRs by index (0–31), each 32, 48 or 64 bytes.</summary>
    public IReadOnlyDictionary<int, ReadOnlyMemory<byte>> Pcrs { get; }

    /// <summary>certificate: the DER certificate whose key signed the document.</summary>
    public ReadOnlyMemory<byte> Certificate { get; }

    /// <summary>cabundle: the issuing CA certificates (DER), root first. The root copy here is never trusted.</summary>
    public IReadOnlyList<ReadOnlyMemory<byte>> CaBundle { get; }

    /// <summary>public_key: an optional key the enclave asked to bind; null when absent or CBOR null.</summary>
    public ReadOnlyMemory<byte>? PublicKey { get; }

    /// <summary>user_data: optional data the enclave asked to bind; null when absent or CBOR null.</summary>
    public ReadOnlyMemory<byte>? UserData { get; }

    /// <summary>nonce: an optional nonce from the verifier; null when absent or CBOR null.</summary>
    public ReadOnlyMemory<byte>? Nonce { get; }

    internal CoseSign1 Cose { get; }

    /// <summary>
    /// Parses a document (raw COSE_Sign1 bytes, tagged or not). Throws <see cref="AttestationException"/>:
    /// Malformed for any structural deviation, UnsupportedVersion for an algorithm or digest other than ES384/SHA384.
    /// </summary>
    public static NitroDocument Parse(ReadOnlySpan<byte> document)
    {
        try
        {
            return ParseCbor(document.ToArray());
        }
        catch (Exception e) when (e is CborContentException or InvalidOperationException or FormatException or OverflowException or ArgumentException)
        {
            // CborReader reports truncated or ill-formed input, and a read of the wrong type, with these.
            throw AttestationException.Malformed($"the Nitro document is not well-formed CBOR: {e.Message}");
        }
    }

    private static NitroDocument ParseCbor(byte[] document)
    {
        var cose = CoseSign1.Parse(document);
        if (cose.Algorithm != CoseSign1.Es384)
        {
            throw new AttestationException(AttestationFailureReason.UnsupportedVersion,
                $"the Nitro document is signed with COSE algorithm {cose.Algorithm}; Nitro documents use ES384 (-35)");
        }

        var fields = ReadPayload(cose.Payload);
        if (fields.Digest != "SHA384")
        {
            throw new AttestationException(AttestationFailureReason.UnsupportedVersion,
                $"the Nitro document's digest is '{fields.Digest}'; only SHA384 is defined");
        }

        return new NitroDocument(cose, fields);
    }

    private static Fields ReadPayload(byte[] payload)
    {
        var reader = new CborReader(payload, CborConformanceMode.Strict);
        if (reader.PeekState() != CborReaderState.StartMap)
        {
            throw AttestationException.Malformed("the Nitro document's payload is not a CBOR map");
        }

        var fields = new Fields();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        reader.ReadStartMap();
        while (reader.PeekState() != CborReaderState.EndMap)
        {
            if (reader.PeekState() != CborReaderState.TextString)
            {
                throw AttestationException.Malformed("the Nitro document's payload has a key that is not text");
            }

            var key = reader.ReadTextString();
            if (!seen.Add(key))
            {
                throw AttestationException.Malformed($"the Nitro document's payload has the key '{key}' twice");
            }

            switch (key)
            {
                case "module_id":
                    fields.ModuleId = Text(reader, key);
                    break;
                case "digest":
                    fields.Digest = Text(reader, key);
                    break;
                case "timestamp":
                    fields.Timestamp = ReadTimestamp(reader);
                    break;
                case "pcrs":
                    fields.Pcrs = ReadPcrs(reader);
                    break;
                case "certificate":
                    fields.Certificate = Bytes(reader, key, 1, MaxFieldLength);
                    break;
                case "cabundle":
                    fields.CaBundle = ReadCaBundle(reader);
                    break;
                case "public_key":
                    fields.PublicKey = OptionalBytes(reader, key, 1);
                    break;
                case "user_data":
                    fields.UserData = OptionalBytes(reader, key, 0);
                    break;
                case "nonce":
                    fields.Nonce = OptionalBytes(reader, key, 0);
                    break;
                default:
                    // A field AWS may add later: it is signed with the rest, and nothing here depends on it.
                    reader.SkipValue();
                    break;
            }
        }

        reader.ReadEndMap();
        if (reader.BytesRemaining != 0)
        {
            throw AttestationException.Malformed("the Nitro document's payload has bytes after its map");
        }

        fields.RequireComplete();
        return fields;
    }

    private static string Text(CborReader reader, string key)
    {
        Expect(reader, CborReaderState.TextString, key, "text");
        var text = reader.ReadTextString();
        return text.Length > 0 ? text : throw AttestationException.Malformed($"the Nitro document's {key} is empty");
    }

    private static ulong ReadTimestamp(CborReader reader)
    {
        Expect(reader, CborReaderState.UnsignedInteger, "timestamp", "an unsigned integer (milliseconds since the Unix epoch)");
        var milliseconds = reader.ReadUInt64();

        // DateTimeOffset ends at 9999-12-31; a larger value is no real timestamp.
        return milliseconds is > 0 and <= 253_402_300_799_999
            ? milliseconds
            : throw AttestationException.Malformed($"the Nitro document's timestamp {milliseconds} is not a time");
    }

    private static byte[] Bytes(CborReader reader, string key, int min, int max)
    {
        Expect(reader, CborReaderState.ByteString, key, "a byte string");
        var bytes = reader.ReadByteString();
        return bytes.Length >= min && bytes.Length <= max
            ? bytes
            : throw AttestationException.Malformed($"the Nitro document's {key} is {bytes.Length} bytes; AWS allows {min}–{max}");
    }

    private static byte[]? OptionalBytes(CborReader reader, string key, int min)
    {
        if (reader.PeekState() == CborReaderState.Null)
        {
            reader.ReadNull();
            return null;
        }

        return Bytes(reader, key, min, MaxFieldLength);
    }

    private static Dictionary<int, ReadOnlyMemory<byte>> ReadPcrs(CborReader reader)
    {
        Expect(reader, CborReaderState.StartMap, "pcrs", "a map");
        var pcrs = new Dictionary<int, ReadOnlyMemory<byte>>();
        reader.ReadStartMap();
        while (reader.PeekState() != CborReaderState.EndMap)
        {
            Expect(reader, CborReaderState.UnsignedInteger, "pcrs", "a map keyed by PCR index");
            var index = reader.ReadUInt64();
            if (index > MaxPcrIndex)
            {
                throw AttestationException.Malformed($"the Nitro document has PCR {index}; indices run 0–{MaxPcrIndex}");
            }

            Expect(reader, CborReaderState.ByteString, $"pcr{index}", "a byte string");
            var value = reader.ReadByteString();
            if (value.Length is not (32 or 48 or 64))
            {
                throw AttestationException.Malformed($"the Nitro document's PCR {index} is {value.Length} bytes; a PCR is 32, 48 or 64");
            }

            if (!pcrs.TryAdd((int)index, value))
            {
                throw AttestationException.Malformed($"the Nitro document has PCR {index} twice");
            }
        }

        reader.ReadEndMap();
        return pcrs.Count > 0 ? pcrs : throw AttestationException.Malformed("the Nitro document has no PCRs");
    }

    private static List<ReadOnlyMemory<byte>> ReadCaBundle(CborReader reader)
    {
        Expect(reader, CborReaderState.StartArray, "cabundle", "an array");
        var bundle = new List<ReadOnlyMemory<byte>>();
        reader.ReadStartArray();
        while (reader.PeekState() != CborReaderState.EndArray)
        {
            bundle.Add(Bytes(reader, $"cabundle[{bundle.Count}]", 1, MaxFieldLength));
        }

        reader.ReadEndArray();
        return bundle.Count > 0 ? bundle : throw AttestationException.Malformed("the Nitro document's cabundle is empty");
    }

    private static void Expect(CborReader reader, CborReaderState state, string key, string what)
    {
        var actual = reader.PeekState();
        if (actual != state)
        {
            throw AttestationException.Malformed($"the Nitro document's {key} must be {what}, but is {actual}");
        }
    }

    private sealed class Fields
    {
        public string? ModuleId { get; set; }

        public string? Digest { get; set; }

        public ulong? Timestamp { get; set; }

        public IReadOnlyDictionary<int, ReadOnlyMemory<byte>>? Pcrs { get; set; }

        public byte[]? Certificate { get; set; }

        public IReadOnlyList<ReadOnlyMemory<byte>>? CaBundle { get; set; }

        public byte[]? PublicKey { get; set; }

        public byte[]? UserData { get; set; }

        public byte[]? Nonce { get; set; }

        public void RequireComplete()
        {
            var missing = new List<string>();
            if (ModuleId is null) missing.Add("module_id");
            if (Digest is null) missing.Add("digest");
            if (Timestamp is null) missing.Add("timestamp");
            if (Pcrs is null) missing.Add("pcrs");
            if (Certificate is null) missing.Add("certificate");
            if (CaBundle is null) missing.Add("cabundle");
            if (missing.Count > 0)
            {
                throw AttestationException.Malformed($"the Nitro document's payload lacks {string.Join(", ", missing)}");
            }
        }
    }
}
