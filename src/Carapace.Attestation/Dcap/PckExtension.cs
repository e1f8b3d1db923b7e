using System.Formats.Asn1;
using System.Numerics;
using System.Security.Cryptography.X509Certificates;

namespace Carapace.Attestation.Dcap;

/// <summary>
/// The Intel SGX extension of a PCK certificate (OID 1.2.840.113741.1.13.1): the platform's TCB (16 component SVNs
/// and the PCE SVN) when the certificate was issued, its PCE id and its FMSPC, which select the TCB info that applies.
/// </summary>
internal sealed class PckExtension
{
    public const string Oid = "1.2.840.113741.1.13.1";
    private const string TcbOid = Oid + ".2";
    private const string PceIdOid = Oid + ".3";
    private const string FmspcOid = Oid + ".4";

    private PckExtension(byte[] components, ushort pceSvn, byte[] cpuSvn, byte[] pceId, byte[] fmspc)
    {
        Components = components;
        PceSvn = pceSvn;
        CpuSvn = cpuSvn;
        PceId = pceId;
        Fmspc = fmspc;
    }

    /// <summary>SGX TCB component SVNs 1..16 (the cpusvn the certificate was issued for).</summary>
    public byte[] Components { get; }

    public ushort PceSvn { get; }

    /// <summary>The raw 16-byte CPUSVN.</summary>
    public byte[] CpuSvn { get; }

    /// <summary>The 2-byte PCE id.</summary>
    public byte[] PceId { get; }

    /// <summary>The 6-byte FMSPC (family-model-stepping-platform-customSKU).</summary>
    public byte[] Fmspc { get; }

    /// <summary>Reads the extension of <paramref name="pck"/>; throws Malformed when it is missing or incomplete.</summary>
    public static PckExtension Read(X509Certificate2 pck)
    {
        var extension = pck.Extensions[Oid]
            ?? throw AttestationException.Malformed($"the PCK certificate '{pck.Subject}' has no Intel SGX extension ({Oid})");
        try
        {
            return Parse(extension.RawData);
        }
        catch (AsnContentException)
        {
            throw AttestationException.Malformed($"the Intel SGX extension of the PCK certificate '{pck.Subject}' is not valid DER");
        }
    }

    private static PckExtension Parse(byte[] der)
    {
        var components = new byte[16];
        var haveComponent = new bool[16];
        int? pceSvn = null;
        byte[]? cpuSvn = null, pceId = null, fmspc = null;
        var reader = new AsnReader(der, AsnEncodingRules.DER);
        var sequence = reader.ReadSequence();
        reader.ThrowIfNotAtEnd();
        while (sequence.HasData)
        {
            var entry = sequence.ReadSequence();
            switch (entry.ReadObjectIdentifier())
            {
                case TcbOid:
                    var tcb = entry.ReadSequence();
                    while (tcb.HasData)
                    {
                        var item = tcb.ReadSequence();
                        var index = TcbItem(item.ReadObjectIdentifier());
                        if (index is >= 1 and <= 16)
                        {
                            components[index - 1] = (byte)ReadInteger(item, byte.MaxValue, $"TCB component {index}");
                            haveComponent[index - 1] = true;
                        }
                        else if (index == 17)
                        {
                            pceSvn = ReadInteger(item, ushort.MaxValue, "PCESVN");
                        }
                        else if (index == 18)
                        {
                            cpuSvn = item.ReadOctetString();
                        }
                        else
                        {
                            item.ReadEncodedValue();
                        }

                        item.ThrowIfNotAtEnd();
                    }

                    break;
                case PceIdOid:
                    pceId = entry.ReadOctetString();
                    break;
                case FmspcOid:
                    fmspc = entry.ReadOctetString();
                    break;
                default:
                    entry.ReadEncodedValue();
                    break;
            }

            entry.ThrowIfNotAtEnd();
        }

        if (Array.IndexOf(haveComponent, false) is var missing and >= 0)
        {
            throw AttestationException.Malformed($"the PCK certificate's SGX extension lacks TCB component {missing + 1}");
        }

        return new PckExtension(
            components,
            (ushort)(pceSvn ?? throw AttestationException.Malformed("the PCK certificate's SGX extension lacks the PCESVN")),
            Exactly(cpuSvn, 16, "CPUSVN"),
            Exactly(pceId, 2, "PCE-ID"),
            Exactly(fmspc, 6, "FMSPC"));
    }

    private static int TcbItem(string oid) =>
        oid.StartsWith(TcbOid + ".", StringComparison.Ordinal)
        && int.TryParse(oid.AsSpan(TcbOid.Length + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var index)
            ? index
            : 0;

    private static byte[] Exactly(byte[]? value, int length, string what) =>
        value is { } v && v.Length == length
            ? v
            : throw AttestationException.Malformed($"the PCK certificate's SGX extension has no {length}-byte {what}");

    private static int ReadInteger(AsnReader reader, int max, string what)
    {
        var value = reader.ReadInteger();
        if (value < BigInteger.Zero || value > max)
        {
            throw AttestationException.Malformed($"the PCK certificate's {what} ({value}) is outside 0..{max}");
        }

        return (int)value;
    }
}
