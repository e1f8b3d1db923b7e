namespace Carapace.Attestation.Snp;

/// <summary>
/// Accepts an SEV-SNP report as the raw 1184 bytes or as hex text (upper or lower case, whitespace and line breaks
/// anywhere), which is how tools such as <c>snpguest</c> and cloud consoles often print it.
/// </summary>
internal static class SnpReportEncoding
{
    /// <summary>Returns the binary report; throws <see cref="AttestationException"/> (Malformed) for anything else.</summary>
    public static byte[] Decode(ReadOnlySpan<byte> input)
    {
        // A binary report starts with its version as a little-endian u32 (e.g. 02 00 00 00), so it is never
        // mistaken for text: 0x00 is not a hex digit.
        if (input.Length == SnpReport.Size)
        {
            return input.ToArray();
        }

        var report = new byte[SnpReport.Size];
        var digits = 0;
        for (var i = 0; i < input.Length; i++)
        {
            var b = input[i];
            if (b is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')
            {
                continue;
            }

            var value = HexValue(b);
            if (value < 0)
            {
                throw AttestationException.Malformed(
                    $"an SEV-SNP report must be {SnpReport.Size} bytes of binary or {SnpReport.Size * 2} hex digits; the input is {input.Length} bytes and not hex text (byte 0x{b:x2} at offset {i})");
            }

            if (digits == SnpReport.Size * 2)
            {
                throw AttestationException.Malformed(
                    $"the hex SEV-SNP report has more than {SnpReport.Size * 2} hex digits (a report is {SnpReport.Size} bytes); remove what follows it");
            }

            report[digits / 2] |= (byte)(digits % 2 == 0 ? value << 4 : value);
            digits++;
        }

        if (digits != SnpReport.Size * 2)
        {
            throw AttestationException.Malformed(
                $"an SEV-SNP report must be {SnpReport.Size} bytes of binary or {SnpReport.Size * 2} hex digits; the input is {input.Length} bytes holding {digits} hex digits");
        }

        return report;
    }

    private static int HexValue(byte b) => b switch
    {
        >= (byte)'0' and <= (byte)'9' => b - '0',
        >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
        _ => -1,
    };
}
