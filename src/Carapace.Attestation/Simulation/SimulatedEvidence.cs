using System.Buffers.Binary;
using System.Formats.Cbor;
using System.Text;

namespace Carapace.Attestation.Simulation;

/// <summary>Encodes and parses the <c>sim</c> wire format documented on <see cref="SimulatedEvidenceVerifier"/>.</summary>
internal sealed class SimulatedEvidence
{
    public const string Format = "carapace-sim";
    public const byte Version = 1;
    public const int HeaderSize = 9;
    public const int SignatureSize = 64;
    public const int MaxBodySize = 4096;
    public const int MeasurementSize = 32;

    public static ReadOnlySpan<byte> Magic => "CRPS"u8;

    public required byte[] Measurement { get; init; }

    public required byte[] ReportData { get; init; }

    public required ulong IssuedAtUnixMilliseconds { get; init; }

    public required byte[] QuotingKey { get; init; }

    /// <summary>The signed bytes: header and body.</summary>
    public required ReadOnlyMemory<byte> Signed { get; init; }

    /// <summary>The r‖s signature over <see cref="Signed"/>.</summary>
    public required ReadOnlyMemory<byte> Signature { get; init; }

    /// <summary>Builds the signed part (header and canonical body); the caller appends the signature.</summary>
    public static byte[] EncodeSigned(ReadOnlySpan<byte> measurement, ReadOnlySpan<byte> reportData, ulong issuedAt, ReadOnlySpan<byte> quotingKey)
    {
        var writer = new CborWriter(CborConformanceMode.Ctap2Canonical);
        writer.WriteStartMap(6);
        writer.WriteTextString("format");
        writer.WriteTextString(Format);
        writer.WriteTextString("version");
        writer.WriteUInt32(Version);
        writer.WriteTextString("measurement");
        writer.WriteByteString(measurement);
        writer.WriteTextString("reportData");
        writer.WriteByteString(reportData);
        writer.WriteTextString("issuedAt");
        writer.WriteUInt64(issuedAt);
        writer.WriteTextString("quotingKey");
        writer.WriteByteString(quotingKey);
        writer.WriteEndMap();
        var body = writer.Encode();

        var signed = new byte[HeaderSize + body.Length];
        Magic.CopyTo(signed);
        signed[4] = Version;
        BinaryPrimitives.WriteUInt32BigEndian(signed.AsSpan(5, 4), (uint)body.Length);
        body.CopyTo(signed, HeaderSize);
        return signed;
    }

    /// <summary>Parses the layout and the body; checks nothing cryptographic. Throws <see cref="AttestationException"/>.</summary>
    public static SimulatedEvidence Parse(ReadOnlyMemory<byte> evidence)
    {
        var span = evidence.Span;
        if (span.Length < HeaderSize + SignatureSize)
        {
            throw AttestationException.Malformed(
                $"simulation evidence is {span.Length} bytes, shorter than the smallest possible ({HeaderSize + SignatureSize + 1}); it is truncated or not simulation evidence");
        }

        if (!span[..4].SequenceEqual(Magic))
        {
            throw AttestationException.Malformed("simulation evidence must start with the magic 'CRPS'; this is not Carapace simulation evidence");
        }

        if (span[4] != Version)
        {
            throw new AttestationException(AttestationFailureReason.UnsupportedVersion,
                $"simulation evidence layout version {span[4]} is not supported (this Carapace reads version {Version})");
        }

        var bodyLength = BinaryPrimitives.ReadUInt32BigEndian(span.Slice(5, 4));
        if (bodyLength is 0 or > MaxBodySize)
        {
            throw AttestationException.Malformed($"simulation evidence declares a body of {bodyLength} bytes; it must be 1..{MaxBodySize}");
        }

        var expected = HeaderSize + (int)bodyLength + SignatureSize;
        if (span.Length != expected)
        {
            throw AttestationException.Malformed(
                $"simulation evidence is {span.Length} bytes but its header declares {expected} (9-byte header, {bodyLength}-byte body, 64-byte signature); it is truncated or padded");
        }

        var signed = evidence[..(HeaderSize + (int)bodyLength)];
        var signature = evidence[(HeaderSize + (int)bodyLength)..];
        return ParseBody(signed[HeaderSize..], signed, signature);
    }

    private static SimulatedEvidence ParseBody(ReadOnlyMemory<byte> body, ReadOnlyMemory<byte> signed, ReadOnlyMemory<byte> signature)
    {
        string? format = null;
        ulong? version = null;
        byte[]? measurement = null;
        byte[]? reportData = null;
        ulong? issuedAt = null;
        byte[]? quotingKey = null;
        try
        {
            var reader = new CborReader(body, CborConformanceMode.Ctap2Canonical);
            var count = reader.ReadStartMap();
            if (count != 6)
            {
                throw AttestationException.Malformed($"the simulation evidence body has {count?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "an indefinite number of"} fields; version 1 has exactly 6");
            }

            for (var i = 0; i < 6; i++)
            {
                var key = reader.ReadTextString();
                switch (key)
                {
                    case "format":
                        format = reader.ReadTextString();
                        break;
                    case "version":
                        version = reader.ReadUInt64();
                        break;
                    case "measurement":
                        measurement = reader.ReadByteString();
                        break;
                    case "reportData":
                        reportData = reader.ReadByteString();
                        break;
                    case "issuedAt":
                        issuedAt = reader.ReadUInt64();
                        break;
                    case "quotingKey":
                        quotingKey = reader.ReadByteString();
                        break;
                    default:
                        throw AttestationException.Malformed($"the simulation evidence body has an unknown field '{Printable(key)}'");
                }
            }

            reader.ReadEndMap();
            if (reader.BytesRemaining != 0)
            {
                throw AttestationException.Malformed($"the simulation evidence body has {reader.BytesRemaining} bytes after its CBOR map");
            }
        }
        catch (Exception e) when (e is CborContentException or InvalidOperationException or OverflowException or DecoderFallbackException)
        {
            throw AttestationException.Malformed($"the simulation evidence body is not the canonical CBOR map version 1 requires ({e.Message})");
        }

        if (format != Format)
        {
            throw AttestationException.Malformed($"the simulation evidence body's format is '{Printable(format)}', not '{Format}'");
        }

        if (version != Version)
        {
            throw new AttestationException(AttestationFailureReason.UnsupportedVersion,
                $"the simulation evidence body's version is {version}, but its header says {Version}");
        }

        if (measurement is not { Length: MeasurementSize })
        {
            throw AttestationException.Malformed($"the simulation evidence measurement is {measurement?.Length ?? 0} bytes; it must be {MeasurementSize}");
        }

        if (reportData is not { Length: Attestation.ReportData.Size })
        {
            throw AttestationException.Malformed($"the simulation evidence reportData is {reportData?.Length ?? 0} bytes; it must be {Attestation.ReportData.Size}");
        }

        // Every field was present: the map had 6 unique keys (canonical CBOR forbids duplicates) out of these 6 names.
        return new SimulatedEvidence
        {
            Measurement = measurement,
            ReportData = reportData,
            IssuedAtUnixMilliseconds = issuedAt!.Value,
            QuotingKey = quotingKey!,
            Signed = signed,
            Signature = signature,
        };
    }

    private static string Printable(string? text) =>
        text is null ? "" : new string([.. text.Take(40).Select(c => char.IsControl(c) ? '?' : c)]);
}
