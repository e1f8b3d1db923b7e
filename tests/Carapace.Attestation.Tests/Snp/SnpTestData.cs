using System.Security.Cryptography.X509Certificates;

namespace Carapace.Attestation.Tests.Snp;

/// <summary>The go-sev-guest Milan vector (MANIFEST.md, snp/) and options to check it with.</summary>
internal static class SnpTestData
{
    public const string Measurement = "b07af9620f3b839b47996422ddec6058338951d984e312115131ea82705eaf5b6bdf8a9ece31a5a608eb0cf2e4872b01";
    public const string ReportData = "01020304050000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000";
    public const string ChipId = "3ac3fe21e13fb0990eb28a802e3fb6a29483a6b0753590c951bdd3b8e53786184ca39e359669a2b76a1936776b564ea464cdce40c05f63c9b610c5068b006b5d";

    public static readonly DateTimeOffset ValidAt = Vectors.Utc("2024-01-15T00:00:00Z");

    private static readonly Lazy<byte[]> _reportBytes = new(() => Vectors.Bytes("snp/gosev_snp_report_milan.bin"));
    private static readonly Lazy<X509Certificate2> _vcekCertificate = new(() => X509CertificateLoader.LoadCertificate(Vectors.Bytes("snp/gosev_vcek_milan.der")));

    /// <summary>A fresh copy of the report.</summary>
    public static byte[] Report => (byte[])_reportBytes.Value.Clone();

    public static X509Certificate2 Vcek => _vcekCertificate.Value;

    /// <summary>ASK then ARK, as AMD KDS serves them.</summary>
    public static X509Certificate2Collection AskArk()
    {
        var collection = new X509Certificate2Collection();
        collection.ImportFromPemFile(Vectors.Path("snp/amd_ask_ark_milan.pem"));
        return collection;
    }

    public static VerificationOptions Options(DateTimeOffset? at = null, X509Certificate2Collection? intermediates = null) => new()
    {
        At = at ?? ValidAt,
        SnpCollateral = new SnpCollateral(Vcek, intermediates ?? AskArk()),
    };
}
