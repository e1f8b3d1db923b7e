using System.Formats.Asn1;
using System.Numerics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Carapace.Attestation.Snp;

/// <summary>
/// What a VCEK certificate from AMD KDS says about the chip and TCB it was issued for (AMD "Versioned Chip
/// Endorsement Key (VCEK) Certificate and KDS Interface Specification"): hwID (the CHIP_ID) and the SPL of each
/// firmware component, which must equal the report's CHIP_ID and REPORTED_TCB.
/// </summary>
internal sealed class VcekCertificate
{
    private const string BootLoaderSplOid = "1.3.6.1.4.1.3704.1.3.1";
    private const string TeeSplOid = "1.3.6.1.4.1.3704.1.3.2";
    private const string SnpSplOid = "1.3.6.1.4.1.3704.1.3.3";
    private const string MicrocodeSplOid = "1.3.6.1.4.1.3704.1.3.8";
    private const string HardwareIdOid = "1.3.6.1.4.1.3704.1.4";

    private VcekCertificate(X509Certificate2 certificate, string product, byte[] hardwareId, byte bootLoader, byte tee, byte snp, byte microcode)
    {
        Certificate = certificate;
        Product = product;
        HardwareId = hardwareId;
        BootLoader = bootLoader;
        Tee = tee;
        Snp = snp;
        Microcode = microcode;
    }

    /// <summary>The certificate.</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>The processor line whose ASK issued the VCEK: <c>Milan</c> or <c>Genoa</c>.</summary>
    public string Product { get; }

    /// <summary>The hwID extension: the CHIP_ID of the processor the VCEK belongs to.</summary>
    public byte[] HardwareId { get; }

    /// <summary>blSPL.</summary>
    public byte BootLoader { get; }

    /// <summary>teeSPL.</summary>
    public byte Tee { get; }

    /// <summary>snpSPL.</summary>
    public byte Snp { get; }

    /// <summary>ucodeSPL.</summary>
    public byte Microcode { get; }

    /// <summary>Reads a VCEK; throws <see cref="AttestationException"/> when the certificate is not a Milan or Genoa VCEK.</summary>
    public static VcekCertificate Read(X509Certificate2 certificate)
    {
        var subject = certificate.GetNameInfo(X509NameType.SimpleName, forIssuer: false);
        if (subject != "SEV-VCEK")
        {
            throw new AttestationException(AttestationFailureReason.CollateralMismatch,
                $"the certificate given as the VCEK is '{certificate.Subject}', not an AMD SEV-VCEK certificate; pass the VCEK for this chip from AMD KDS");
        }

        var issuer = certificate.GetNameInfo(X509NameType.SimpleName, forIssuer: true);
        var product = issuer switch
        {
            "SEV-Milan" => "Milan",
            "SEV-Genoa" => "Genoa",
            _ => throw new AttestationException(AttestationFailureReason.UnsupportedVersion,
                $"the VCEK was issued by '{issuer}'; Carapace checks SEV-SNP reports from Milan and Genoa processors (SEV-Milan, SEV-Genoa), whose TCB layout and roots it knows"),
        };

        using (var key = certificate.GetECDsaPublicKey())
        {
            if (key is null || key.KeySize != 384)
            {
                throw new AttestationException(AttestationFailureReason.CollateralMismatch,
                    "the VCEK certificate does not hold an ECDSA P-384 key, so it cannot have signed an SEV-SNP report");
            }
        }

        var hardwareId = Extension(certificate, HardwareIdOid, "hwID");
        return new VcekCertificate(certificate, product, hardwareId,
            Spl(certificate, BootLoaderSplOid, "blSPL"),
            Spl(certificate, TeeSplOid, "teeSPL"),
            Spl(certificate, SnpSplOid, "snpSPL"),
            Spl(certificate, MicrocodeSplOid, "ucodeSPL"));
    }

    /// <summary>The certified TCB in the report's Milan/Genoa layout, for messages.</summary>
    public SnpTcbVersion Tcb => new(BootLoader | (ulong)Tee << 8 | (ulong)Snp << 48 | (ulong)Microcode << 56);

    /// <summary>Whether the certified TCB components equal <paramref name="tcb"/>'s.</summary>
    public bool Certifies(SnpTcbVersion tcb) =>
        tcb.BootLoader == BootLoader && tcb.Tee == Tee && tcb.Snp == Snp && tcb.Microcode == Microcode;

    private static byte[] Extension(X509Certificate2 certificate, string oid, string name)
    {
        foreach (var extension in certificate.Extensions)
        {
            if (extension.Oid?.Value == oid)
            {
                return extension.RawData;
            }
        }

        throw new AttestationException(AttestationFailureReason.CollateralMismatch,
            $"the VCEK certificate has no {name} extension ({oid}); pass the VCEK exactly as AMD KDS serves it");
    }

    private static byte Spl(X509Certificate2 certificate, string oid, string name)
    {
        var raw = Extension(certificate, oid, name);
        BigInteger value;
        try
        {
            var reader = new AsnReader(raw, AsnEncodingRules.DER);
            value = reader.ReadInteger();
            reader.ThrowIfNotEmpty();
        }
        catch (Exception e) when (e is AsnContentException or CryptographicException)
        {
            throw AttestationException.Malformed($"the VCEK certificate's {name} extension ({oid}) is not a DER INTEGER");
        }

        if (value < 0 || value > byte.MaxValue)
        {
            throw AttestationException.Malformed($"the VCEK certificate's {name} extension ({oid}) is {value}, outside 0–255");
        }

        return (byte)value;
    }
}
