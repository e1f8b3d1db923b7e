using System.Formats.Asn1;

namespace Carapace.Attestation.Dcap;

/// <summary>Strict end-of-structure checks for <see cref="AsnReader"/>.</summary>
internal static class AsnReaderExtensions
{
    /// <summary>Throws <see cref="AsnContentException"/> when the reader has bytes left (trailing data in a structure).</summary>
    public static void ThrowIfNotAtEnd(this AsnReader reader)
    {
        if (reader.HasData)
        {
            throw new AsnContentException("unexpected data after the end of an ASN.1 structure");
        }
    }
}
