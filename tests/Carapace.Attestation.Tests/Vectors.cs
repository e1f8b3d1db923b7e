using System.Security.Cryptography.X509Certificates;

namespace Carapace.Attestation.Tests;

/// <summary>
/// The public attestation evidence in <c>TestData/</c> (see its MANIFEST.md for sources, licences and expected values).
/// </summary>
internal static class Vectors
{
    public static string Path(string relative) => System.IO.Path.Combine(AppContext.BaseDirectory, "TestData", relative);

    public static byte[] Bytes(string relative) => File.ReadAllBytes(Path(relative));

    public static string Text(string relative) => File.ReadAllText(Path(relative));

    public static X509Certificate2 Pem(string relative) => X509Certificate2.CreateFromPem(Text(relative));

    public static DateTimeOffset Utc(string iso) => DateTimeOffset.Parse(iso, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal);
}
