using System.Diagnostics.CodeAnalysis;
using System.Formats.Cbor;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Carapace.Envelope.Format;
using Carapace.Protocol;

namespace Carapace.Attestation.Receipts;

/// <summary>
/// Encodes and parses receipts, format version 1 (documented in docs/enclave-protocol.md, "Receipts").
/// Every map is CTAP2-canonical CBOR (definite lengths, shortest encodings, keys sorted, no duplicates), written and
/// read in that conformance mode, so a receipt has exactly one encoding.
/// </summary>
internal static class ReceiptFormat
{
    public const int Version = 1;

    /// <summary>The largest receipt accepted (evidence with a certificate chain is a few KiB).</summary>
    public const int MaxReceiptBytes = 64 * 1024;

    public const int SignatureSize = 64;
    public const int HashSize = 32;
    public const int MeasurementSize = 32;
    private const int BodyFields = 17;
    private const int ReceiptFields = 5;

    /// <summary>Prefixed to the body before hashing for the signature: "carapace receipt v1".</summary>
    public static ReadOnlySpan<byte> SignatureContext => "carapace receipt v1"u8;

    /// <summary>Encodes <paramref name="body"/> with <paramref name="signingKey"/> as the canonical body map.</summary>
    /// <exception cref="ArgumentException">A field is outside what the format allows.</exception>
    public static byte[] EncodeBody(ReceiptBody body, ReadOnlySpan<byte> signingKey)
    {
        ArgumentNullException.ThrowIfNull(body);
        RequireLength(body.Measurement, MeasurementSize, nameof(body.Measurement));
        RequireLength(body.InputSha256, HashSize, nameof(body.InputSha256));
        RequireHashOrEmpty(body.OutputSha256, nameof(body.OutputSha256));
        RequireHashOrEmpty(body.LogSha256, nameof(body.LogSha256));
        ArgumentOutOfRangeException.ThrowIfNegative(body.Step, nameof(body.Step));
        ArgumentOutOfRangeException.ThrowIfNegative(body.WallMicroseconds, nameof(body.WallMicroseconds));
        ArgumentOutOfRangeException.ThrowIfNegative(body.Fuel, nameof(body.Fuel));
        ArgumentOutOfRangeException.ThrowIfNegative(body.MemoryBytes, nameof(body.MemoryBytes));

        Span<byte> requestId = stackalloc byte[RequestId.Size];
        body.RequestId.WriteTo(requestId);
        var w = new CborWriter(CborConformanceMode.Ctap2Canonical, initialCapacity: 320 + signingKey.Length);
        w.WriteStartMap(BodyFields);
        w.WriteTextString("ns");
        w.WriteTextString(body.Namespace);
        w.WriteTextString("fn");
        w.WriteTextString(body.Function);
        w.WriteTextString("measurement");
        w.WriteByteString(body.Measurement.Span);
        w.WriteTextString("chain");
        w.WriteTextString(body.Chain);
        w.WriteTextString("step");
        w.WriteInt32(body.Step);
        w.WriteTextString("requestId");
        w.WriteByteString(requestId);
        w.WriteTextString("inputSha256");
        w.WriteByteString(body.InputSha256.Span);
        w.WriteTextString("outputSha256");
        w.WriteByteString(body.OutputSha256.Span);
        w.WriteTextString("logSha256");
        w.WriteByteString(body.LogSha256.Span);
        w.WriteTextString("status");
        w.WriteInt32((int)body.Status);
        w.WriteTextString("exit");
        w.WriteInt32(body.ExitCode);
        w.WriteTextString("start");
        w.WriteInt64(ToUnixMicroseconds(body.Start));
        w.WriteTextString("end");
        w.WriteInt64(ToUnixMicroseconds(body.End));
        w.WriteTextString("wallUs");
        w.WriteInt64(body.WallMicroseconds);
        w.WriteTextString("fuel");
        w.WriteInt64(body.Fuel);
        w.WriteTextString("memory");
        w.WriteInt64(body.MemoryBytes);
        w.WriteTextString("key");
        w.WriteByteString(signingKey);
        w.WriteEndMap();
        return w.Encode();
    }

    /// <summary>The receipt map around an encoded body, its signature and the evidence binding the key.</summary>
    public static byte[] EncodeReceipt(ReadOnlySpan<byte> body, ReadOnlySpan<byte> signature, Evidence evidence)
    {
        var w = new CborWriter(CborConformanceMode.Ctap2Canonical, initialCapacity: body.Length + signature.Length + evidence.Bytes.Length + 48);
        w.WriteStartMap(ReceiptFields);
        w.WriteTextString("v");
        w.WriteInt32(Version);
        w.WriteTextString("body");
        w.WriteByteString(body);
        w.WriteTextString("sig");
        w.WriteByteString(signature);
        w.WriteTextString("evidence");
        w.WriteByteString(evidence.Bytes.Span);
        w.WriteTextString("kind");
        w.WriteTextString(EvidenceKinds.Name(evidence.Kind));
        w.WriteEndMap();
        return w.Encode();
    }

    /// <summary>Writes SHA-256(<see cref="SignatureContext"/> ‖ <paramref name="body"/>) into <paramref name="hash"/>.</summary>
    public static void HashForSignature(IncrementalHash sha256, ReadOnlySpan<byte> body, Span<byte> hash)
    {
        sha256.AppendData(SignatureContext);
        sha256.AppendData(body);
        sha256.GetHashAndReset(hash);
    }

    /// <summary>
    /// Parses a receipt without checking anything cryptographic: the signed body bytes, the signature and the
    /// receipt's fields. False with a reason for anything that is not a version 1 receipt.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> encoded, out ReadOnlyMemory<byte> body, out ReadOnlyMemory<byte> signature, [NotNullWhen(true)] out Receipt? receipt, out string problem)
    {
        (body, signature, receipt, problem) = (default, default, null, "");
        if (encoded.IsEmpty || encoded.Length > MaxReceiptBytes)
        {
            problem = encoded.IsEmpty ? "the receipt is empty" : string.Create(CultureInfo.InvariantCulture, $"the receipt is {encoded.Length} bytes; the limit is {MaxReceiptBytes}");
            return false;
        }

        try
        {
            var copy = encoded.ToArray();
            var (bodyBytes, sig, evidence) = ParseOuter(copy);
            receipt = ParseBody(bodyBytes, evidence);
            (body, signature) = (bodyBytes, sig);
            return true;
        }
        catch (Exception e) when (e is CborContentException or InvalidOperationException or OverflowException or DecoderFallbackException or FormatException or ArgumentException)
        {
            problem = e is FormatException ? e.Message : $"the receipt is not canonical CBOR of receipt version {Version} ({e.Message})";
            return false;
        }
    }

    private static (ReadOnlyMemory<byte> Body, ReadOnlyMemory<byte> Signature, Evidence Evidence) ParseOuter(byte[] encoded)
    {
        var r = new CborReader(encoded, CborConformanceMode.Ctap2Canonical);
        RequireFieldCount(r.ReadStartMap(), ReceiptFields, "receipt");
        int? version = null;
        byte[]? body = null, sig = null, evidence = null;
        EvidenceKind? kind = null;
        for (var i = 0; i < ReceiptFields; i++)
        {
            switch (r.ReadTextString())
            {
                case "v": version = checked((int)r.ReadUInt32()); break;
                case "body": body = r.ReadByteString(); break;
                case "sig": sig = r.ReadByteString(); break;
                case "evidence": evidence = r.ReadByteString(); break;
                case "kind": kind = ParseKind(r.ReadTextString()); break;
                case var other: throw Bad($"the receipt has an unknown field '{Printable(other)}'");
            }
        }

        r.ReadEndMap();
        RequireEnd(r, "receipt");
        if (version != Version)
        {
            throw Bad($"receipt version {version} is not supported (this Carapace reads version {Version})");
        }

        if (sig!.Length != SignatureSize)
        {
            throw Bad($"the receipt signature is {sig.Length} bytes; an ECDSA P-256 signature (r‖s) is {SignatureSize}");
        }

        if (evidence!.Length == 0)
        {
            throw Bad("the receipt carries no evidence");
        }

        // Five distinct known keys (canonical CBOR forbids duplicates): every field is present.
        return (body!, sig, new Evidence(kind!.Value, evidence));
    }

    private static Receipt ParseBody(ReadOnlyMemory<byte> body, Evidence evidence)
    {
        var r = new CborReader(body, CborConformanceMode.Ctap2Canonical);
        RequireFieldCount(r.ReadStartMap(), BodyFields, "receipt body");
        string? ns = null, fn = null, chain = null;
        byte[]? measurement = null, requestId = null, input = null, output = null, log = null, key = null;
        int? step = null, exit = null;
        InvocationStatus? status = null;
        DateTimeOffset? start = null, end = null;
        long? wall = null, fuel = null, memory = null;
        for (var i = 0; i < BodyFields; i++)
        {
            switch (r.ReadTextString())
            {
                case "ns": ns = r.ReadTextString(); break;
                case "fn": fn = r.ReadTextString(); break;
                case "measurement": measurement = Bytes(r, "measurement", MeasurementSize); break;
                case "chain": chain = r.ReadTextString(); break;
                case "step": step = (int)Integer(r, "step", 0, int.MaxValue); break;
                case "requestId": requestId = Bytes(r, "requestId", RequestId.Size); break;
                case "inputSha256": input = Bytes(r, "inputSha256", HashSize); break;
                case "outputSha256": output = Bytes(r, "outputSha256", HashSize, emptyAllowed: true); break;
                case "logSha256": log = Bytes(r, "logSha256", HashSize, emptyAllowed: true); break;
                case "status": status = (InvocationStatus)Integer(r, "status", 0, Enum.GetValues<InvocationStatus>().Max(s => (int)s)); break;
                case "exit": exit = (int)Integer(r, "exit", int.MinValue, int.MaxValue); break;
                case "start": start = FromUnixMicroseconds(r.ReadInt64(), "start"); break;
                case "end": end = FromUnixMicroseconds(r.ReadInt64(), "end"); break;
                case "wallUs": wall = Integer(r, "wallUs", 0, long.MaxValue); break;
                case "fuel": fuel = Integer(r, "fuel", 0, long.MaxValue); break;
                case "memory": memory = Integer(r, "memory", 0, long.MaxValue); break;
                case "key": key = r.ReadByteString(); break;
                case var other: throw Bad($"the receipt body has an unknown field '{Printable(other)}'");
            }
        }

        r.ReadEndMap();
        RequireEnd(r, "receipt body");

        // Seventeen distinct known keys: every field is present.
        return new Receipt
        {
            Namespace = ns!,
            Function = fn!,
            Measurement = measurement!,
            Chain = chain!,
            Step = step!.Value,
            RequestId = RequestId.FromBytes(requestId),
            InputSha256 = input!,
            OutputSha256 = output!,
            LogSha256 = log!,
            Status = status!.Value,
            ExitCode = exit!.Value,
            Start = start!.Value,
            End = end!.Value,
            WallMicroseconds = wall!.Value,
            Fuel = fuel!.Value,
            MemoryBytes = memory!.Value,
            SigningKey = key!,
            Evidence = evidence,
        };
    }

    private static long ToUnixMicroseconds(DateTimeOffset time) => (time - DateTimeOffset.UnixEpoch).Ticks / TimeSpan.TicksPerMicrosecond;

    private static DateTimeOffset FromUnixMicroseconds(long microseconds, string field)
    {
        var max = (DateTimeOffset.MaxValue - DateTimeOffset.UnixEpoch).Ticks / TimeSpan.TicksPerMicrosecond;
        var min = (DateTimeOffset.MinValue - DateTimeOffset.UnixEpoch).Ticks / TimeSpan.TicksPerMicrosecond;
        return microseconds < min || microseconds > max
            ? throw Bad($"the receipt's {field} time {microseconds} µs is not a representable time")
            : DateTimeOffset.UnixEpoch.AddTicks(microseconds * TimeSpan.TicksPerMicrosecond);
    }

    private static EvidenceKind ParseKind(string name) =>
        EvidenceKinds.TryParse(name, out var kind) && EvidenceKinds.Name(kind) == name
            ? kind
            : throw Bad($"the receipt's evidence kind '{Printable(name)}' is not one Carapace knows (sim, sgx, tdx, snp, nitro, ratls)");

    private static byte[] Bytes(CborReader r, string field, int size, bool emptyAllowed = false)
    {
        var value = r.ReadByteString();
        return value.Length == size || (emptyAllowed && value.Length == 0)
            ? value
            : throw Bad($"the receipt's {field} is {value.Length} bytes; it must be {size}{(emptyAllowed ? " (or empty)" : "")}");
    }

    private static long Integer(CborReader r, string field, long min, long max)
    {
        var value = r.ReadInt64();
        return value >= min && value <= max
            ? value
            : throw Bad(string.Create(CultureInfo.InvariantCulture, $"the receipt's {field} {value} is outside {min}..{max}"));
    }

    private static void RequireFieldCount(int? count, int expected, string what)
    {
        if (count != expected)
        {
            throw Bad($"the {what} has {count?.ToString(CultureInfo.InvariantCulture) ?? "an indefinite number of"} fields; version {Version} has exactly {expected}");
        }
    }

    private static void RequireEnd(CborReader r, string what)
    {
        if (r.BytesRemaining != 0)
        {
            throw Bad($"the {what} has {r.BytesRemaining} bytes after its CBOR map");
        }
    }

    private static void RequireLength(ReadOnlyMemory<byte> value, int size, string name)
    {
        if (value.Length != size)
        {
            throw new ArgumentException($"{name} must be {size} bytes, not {value.Length}", name);
        }
    }

    private static void RequireHashOrEmpty(ReadOnlyMemory<byte> value, string name)
    {
        if (value.Length is not (0 or HashSize))
        {
            throw new ArgumentException($"{name} must be {HashSize} bytes or empty, not {value.Length}", name);
        }
    }

    private static FormatException Bad(string message) => new(message);

    private static string Printable(string? text) =>
        text is null ? "" : new string([.. text.Take(40).Select(c => char.IsControl(c) ? '?' : c)]);
}
