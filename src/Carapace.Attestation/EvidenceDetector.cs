using System.Buffers.Binary;
using System.Formats.Cbor;
using Carapace.Attestation.RaTls;
using Carapace.Attestation.Simulation;

namespace Carapace.Attestation;

/// <summary>
/// Recognises the kind of evidence from its bytes, for commands that are not told (<c>--kind</c>). Detection only
/// routes the bytes to a verifier; it checks nothing.
/// </summary>
public static class EvidenceDetector
{
    private const int SnpReportSize = 1184;
    private const int IntelHeaderSize = 48;
    private const int SgxMinimumQuote = IntelHeaderSize + 384 + 4;
    private const int TdxMinimumQuote = IntelHeaderSize + 584 + 4;
    private const uint TeeTypeSgx = 0x00;
    private const uint TeeTypeTdx = 0x81;

    /// <summary>
    /// The kind of <paramref name="evidence"/>, or null when it is not recognised:
    /// a PEM or DER X.509 certificate is <see cref="EvidenceKind.RaTls"/>; the magic <c>CRPS</c> is
    /// <see cref="EvidenceKind.Simulation"/>; a COSE_Sign1 (CBOR array of 4, optionally tag 18, whose protected header
    /// is a map) is <see cref="EvidenceKind.Nitro"/>; exactly 1184 bytes (or hex text of them) with version 2..5 is
    /// <see cref="EvidenceKind.SevSnp"/>; an Intel quote header (version 3, 4 or 5, ECDSA key type 2 or 3) is
    /// <see cref="EvidenceKind.Sgx"/> or <see cref="EvidenceKind.Tdx"/> by its TEE type (v4) or body type (v5).
    /// </summary>
    public static EvidenceKind? Detect(ReadOnlySpan<byte> evidence)
    {
        if (RaTlsCertificate.IsPem(evidence))
        {
            return EvidenceKind.RaTls;
        }

        if (evidence.StartsWith(SimulatedEvidence.Magic))
        {
            return EvidenceKind.Simulation;
        }

        if (evidence.Length > 0 && evidence[0] == 0x30 && CertificateParts.LooksLikeCertificate(evidence.ToArray()))
        {
            return EvidenceKind.RaTls;
        }

        if (IsCoseSign1(evidence))
        {
            return EvidenceKind.Nitro;
        }

        if (IsSnpReport(evidence) || DecodeHex(evidence) is { } binary && IsSnpReport(binary))
        {
            return EvidenceKind.SevSnp;
        }

        return IntelQuoteKind(evidence);
    }

    /// <summary>The kind of an Intel DCAP quote from its header (and, for version 5, its body descriptor), or null.</summary>
    internal static EvidenceKind? IntelQuoteKind(ReadOnlySpan<byte> quote)
    {
        if (quote.Length < IntelHeaderSize + 6)
        {
            return null;
        }

        var version = BinaryPrimitives.ReadUInt16LittleEndian(quote);
        var keyType = BinaryPrimitives.ReadUInt16LittleEndian(quote[2..]);
        var teeType = BinaryPrimitives.ReadUInt32LittleEndian(quote[4..]);
        if (keyType is not (2 or 3))
        {
            return null;
        }

        return version switch
        {
            3 when quote.Length >= SgxMinimumQuote => EvidenceKind.Sgx,
            4 when teeType == TeeTypeSgx && quote.Length >= SgxMinimumQuote => EvidenceKind.Sgx,
            4 when teeType == TeeTypeTdx && quote.Length >= TdxMinimumQuote => EvidenceKind.Tdx,
            5 => BinaryPrimitives.ReadUInt16LittleEndian(quote[IntelHeaderSize..]) switch
            {
                1 => EvidenceKind.Sgx,
                2 or 3 => EvidenceKind.Tdx,
                _ => null,
            },
            _ => null,
        };
    }

    /// <summary>Decodes hex text (white space allowed) of exactly one SEV-SNP report's size; null otherwise.</summary>
    internal static byte[]? DecodeHex(ReadOnlySpan<byte> text)
    {
        var trimmed = text.Trim(" \t\r\n"u8);
        if (trimmed.Length < SnpReportSize * 2 || trimmed.Length > SnpReportSize * 4)
        {
            return null;
        }

        var digits = new char[SnpReportSize * 2];
        var count = 0;
        foreach (var b in trimmed)
        {
            if (b is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')
            {
                continue;
            }

            if (!char.IsAsciiHexDigit((char)b) || count == digits.Length)
            {
                return null;
            }

            digits[count++] = (char)b;
        }

        return count == digits.Length ? Convert.FromHexString(digits) : null;
    }

    private static bool IsSnpReport(ReadOnlySpan<byte> report) =>
        report.Length == SnpReportSize && BinaryPrimitives.ReadUInt32LittleEndian(report) is >= 2 and <= 5;

    private static bool IsCoseSign1(ReadOnlySpan<byte> evidence)
    {
        if (evidence.Length < 4 || !(evidence[0] == 0x84 || (evidence[0] == 0xD2 && evidence[1] == 0x84)))
        {
            return false;
        }

        try
        {
            var reader = new CborReader(evidence.ToArray(), CborConformanceMode.Lax);
            if (reader.PeekState() == CborReaderState.Tag && reader.ReadTag() != (CborTag)18)
            {
                return false;
            }

            if (reader.ReadStartArray() != 4)
            {
                return false;
            }

            var header = new CborReader(reader.ReadByteString(), CborConformanceMode.Lax);
            return header.ReadStartMap() is null or > 0;
        }
        catch (Exception e) when (e is CborContentException or InvalidOperationException or FormatException)
        {
            return false;
        }
    }
}
