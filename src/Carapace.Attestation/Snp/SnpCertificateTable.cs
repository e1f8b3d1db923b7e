using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Carapace.Attestation.Snp;

/// <summary>
/// The certificate table an extended SEV-SNP report request returns beside the report (what Linux configfs-tsm shows
/// as the <c>auxblob</c> of a <c>sev_guest</c> report, and <c>SNP_GET_EXT_REPORT</c> fills in): 24-byte entries
/// <c>GUID (16) ‖ offset (u32 LE) ‖ length (u32 LE)</c>, ended by an all-zero entry, each pointing at a DER
/// certificate inside the table (offsets from the table's start). Carapace reads the VCEK and the ASK; the ARK in the
/// table is never used, only the pinned roots are. GUIDs are accepted in either byte order (string order, or the
/// mixed-endian order of a UEFI <c>EFI_GUID</c>).
/// </summary>
internal static class SnpCertificateTable
{
    private const int EntrySize = 24;
    private static readonly Guid Vcek = new("63da758d-e664-4564-adc5-f4b93be8accd");
    private static readonly Guid Ask = new("4ab7b379-bbac-4fe4-a02f-05aef327c782");
    private static readonly Guid Vlek = new("a8074bc2-a25a-483e-aae6-39c045a0b8a1");

    /// <summary>The VCEK and the ASK (null when absent) in <paramref name="table"/>; throws <see cref="AttestationException"/> (Malformed) for a damaged table or one without a VCEK.</summary>
    public static (X509Certificate2 Vcek, X509Certificate2? Ask) Read(ReadOnlySpan<byte> table)
    {
        X509Certificate2? vcek = null;
        X509Certificate2? ask = null;
        for (var at = 0; ; at += EntrySize)
        {
            if (at + EntrySize > table.Length)
            {
                throw AttestationException.Malformed(
                    $"the SEV-SNP certificate table after the report ends at byte {table.Length} without its all-zero closing entry");
            }

            var entry = table.Slice(at, EntrySize);
            if (entry.IndexOfAnyExcept((byte)0) < 0)
            {
                return vcek is not null ? (vcek, ask) : throw AttestationException.Malformed(
                    "the bytes after the SEV-SNP report are not a certificate table with a VCEK (a report is exactly 1184 bytes; remove what follows it, or append the extended report's certificate table)");
            }

            var offset = BinaryPrimitives.ReadUInt32LittleEndian(entry[16..]);
            var length = BinaryPrimitives.ReadUInt32LittleEndian(entry[20..]);
            if (length == 0 || offset > (uint)table.Length || length > (uint)table.Length - offset)
            {
                throw AttestationException.Malformed(
                    $"the SEV-SNP certificate table entry {at / EntrySize} points at bytes {offset}..{(ulong)offset + length} of a {table.Length}-byte table");
            }

            var guid = entry[..16];
            if (Is(guid, Vlek))
            {
                throw new AttestationException(AttestationFailureReason.UnsupportedVersion,
                    "the SEV-SNP certificate table carries a VLEK (a cloud provider's loaded endorsement key); Carapace verifies VCEK-signed reports only");
            }

            if (Is(guid, Vcek))
            {
                vcek = Certificate(table.Slice((int)offset, (int)length), "VCEK");
            }
            else if (Is(guid, Ask))
            {
                ask = Certificate(table.Slice((int)offset, (int)length), "ASK");
            }
        }
    }

    private static bool Is(ReadOnlySpan<byte> bytes, Guid guid)
    {
        Span<byte> expected = stackalloc byte[16];
        guid.TryWriteBytes(expected, bigEndian: true, out _);
        if (bytes.SequenceEqual(expected))
        {
            return true;
        }

        guid.TryWriteBytes(expected, bigEndian: false, out _);
        return bytes.SequenceEqual(expected);
    }

    private static X509Certificate2 Certificate(ReadOnlySpan<byte> der, string name)
    {
        try
        {
            return X509CertificateLoader.LoadCertificate(der);
        }
        catch (CryptographicException e)
        {
            throw AttestationException.Malformed($"the {name} in the SEV-SNP certificate table is not a DER certificate ({e.Message})");
        }
    }
}
