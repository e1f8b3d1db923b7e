namespace Carapace.Attestation.Dcap;

/// <summary>
/// Reads the layout of Intel's <c>sgx_quote_3.h</c> / <c>sgx_quote_4.h</c> / <c>sgx_quote_5.h</c>: header, (v5 body
/// descriptor), body, then the signature data whose declared length must fit in the input and be used exactly.
/// </summary>
internal static class DcapQuoteParser
{
    public const int HeaderSize = 48;
    public const ushort EcdsaP256KeyType = 2;
    public const uint TeeTypeSgx = 0x00;
    public const uint TeeTypeTdx = 0x81;
    public const ushort QeReportCertificationDataType = 6;

    private const int SignatureSize = 64;
    private const int KeySize = 64;

    /// <summary>Intel's quoting enclave vendor id.</summary>
    public static ReadOnlySpan<byte> IntelQeVendorId =>
        [0x93, 0x9a, 0x72, 0x33, 0xf7, 0x9c, 0x4c, 0xa9, 0x94, 0x0a, 0x0d, 0xb3, 0x95, 0x7f, 0x06, 0x07];

    public static DcapQuote Parse(ReadOnlySpan<byte> input)
    {
        if (input.Length < HeaderSize)
        {
            throw AttestationException.Malformed(
                $"a DCAP quote starts with a {HeaderSize}-byte header, but the evidence has only {input.Length} bytes");
        }

        var reader = new QuoteReader(input, 0, input.Length, "header");
        var version = reader.U16("version");
        if (version is < 3 or > 5)
        {
            throw Unsupported($"DCAP quote version {version} is not supported (3 = SGX, 4 = TDX, 5 = SGX or TDX with a body descriptor)");
        }

        var keyType = reader.U16("attestation key type");
        if (keyType != EcdsaP256KeyType)
        {
            throw Unsupported($"attestation key type {keyType} is not supported; only {EcdsaP256KeyType} (ECDSA-256-with-P-256) is");
        }

        var teeType = reader.U32("TEE type");
        var qeSvn = reader.U16("QE SVN");
        var pceSvn = reader.U16("PCE SVN");
        var vendor = reader.Take(16, "QE vendor id");
        if (!input[vendor].SequenceEqual(IntelQeVendorId))
        {
            throw Unsupported(
                $"QE vendor id {Convert.ToHexStringLower(input[vendor])} is not Intel's quoting enclave ({Convert.ToHexStringLower(IntelQeVendorId)})");
        }

        var userData = reader.Take(20, "user data");
        var bodyReader = new QuoteReader(input, reader.Position, input.Length, "body");
        var (bodyType, bodySize) = ReadBodyDescriptor(ref bodyReader, version, teeType);
        var body = bodyReader.Take(bodySize, "report body");
        var signedEnd = bodyReader.Position;

        var tail = new QuoteReader(input, signedEnd, input.Length, "signature data");
        var signatureLength = tail.U32("signature data length");
        var signatureData = tail.Region(signatureLength, "signature data");
        var end = tail.Position;

        var signature = signatureData.Take(SignatureSize, "quote signature");
        var attestationKey = signatureData.Take(KeySize, "attestation key");
        QeParts qe;
        if (version == 3)
        {
            qe = ReadQeParts(ref signatureData);
        }
        else
        {
            var type = signatureData.U16("certification data type");
            if (type != QeReportCertificationDataType)
            {
                throw Unsupported(
                    $"a version {version} quote must carry certification data type {QeReportCertificationDataType} (QE report certification data), but it has type {type}");
            }

            var size = signatureData.U32("QE report certification data size");
            var nested = signatureData.Region(size, "QE report certification data");
            qe = ReadQeParts(ref nested);
            nested.End();
        }

        signatureData.End();

        var bytes = input[..end].ToArray();
        var memory = new ReadOnlyMemory<byte>(bytes);
        var bodyMemory = memory[body];
        return new DcapQuote
        {
            Version = version,
            AttestationKeyType = keyType,
            TeeType = teeType,
            QeSvn = qeSvn,
            PceSvn = pceSvn,
            QeVendorId = memory[vendor],
            UserData = memory[userData],
            BodyType = bodyType,
            Body = bodyMemory,
            SignedData = memory[..signedEnd],
            Signature = memory[signature],
            AttestationKey = memory[attestationKey],
            QeReport = memory[qe.Report],
            QeReportSignature = memory[qe.Signature],
            QeAuthData = memory[qe.AuthData],
            CertificationDataType = qe.CertificationType,
            CertificationData = memory[qe.CertificationData],
            Length = end,
            Enclave = bodyType == DcapBodyType.Sgx ? new EnclaveReport(bodyMemory) : null,
            Td = bodyType == DcapBodyType.Sgx ? null : new TdReport(bodyMemory),
        };
    }

    private static (DcapBodyType Type, int Size) ReadBodyDescriptor(ref QuoteReader reader, ushort version, uint teeType)
    {
        if (version == 5)
        {
            var type = reader.U16("body type");
            var size = reader.U32("body size");
            var (bodyType, expectedSize, expectedTee) = type switch
            {
                1 => (DcapBodyType.Sgx, EnclaveReport.Size, TeeTypeSgx),
                2 => (DcapBodyType.Tdx10, TdReport.Size10, TeeTypeTdx),
                3 => (DcapBodyType.Tdx15, TdReport.Size15, TeeTypeTdx),
                _ => throw Unsupported($"quote body type {type} is not supported (1 = SGX, 2 = TDX 1.0, 3 = TDX 1.5)"),
            };
            if (size != expectedSize)
            {
                throw AttestationException.Malformed($"a quote body of type {type} ({bodyType}) has {expectedSize} bytes, but the descriptor says {size}");
            }

            if (teeType != expectedTee)
            {
                throw AttestationException.Malformed($"the quote header's TEE type 0x{teeType:x} does not match its body type {type} ({bodyType})");
            }

            return (bodyType, expectedSize);
        }

        return (version, teeType) switch
        {
            (_, TeeTypeSgx) => (DcapBodyType.Sgx, EnclaveReport.Size),
            (4, TeeTypeTdx) => (DcapBodyType.Tdx10, TdReport.Size10),
            (3, _) => throw Unsupported($"a version 3 quote carries only SGX reports (TEE type 0), but its TEE type is 0x{teeType:x}"),
            _ => throw Unsupported($"TEE type 0x{teeType:x} is not supported (0 = SGX, 0x81 = TDX)"),
        };
    }

    private static QeParts ReadQeParts(ref QuoteReader reader)
    {
        var report = reader.Take(EnclaveReport.Size, "QE report");
        var signature = reader.Take(SignatureSize, "QE report signature");
        var authLength = reader.U16("QE authentication data length");
        var authData = reader.Take(authLength, "QE authentication data");
        var type = reader.U16("certification data type");
        if (type is < 1 or > 5)
        {
            throw Unsupported($"certification data type {type} is not supported inside the QE report certification data (types 1 to 5 are defined; 5 = PEM PCK chain)");
        }

        var size = reader.U32("certification data size");
        var data = reader.Take(size, "certification data");
        return new QeParts(report, signature, authData, type, data);
    }

    private static AttestationException Unsupported(string message) => new(AttestationFailureReason.UnsupportedVersion, message);

    private readonly record struct QeParts(Range Report, Range Signature, Range AuthData, ushort CertificationType, Range CertificationData);
}
