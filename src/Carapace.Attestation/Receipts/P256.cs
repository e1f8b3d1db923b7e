using System.Security.Cryptography;

namespace Carapace.Attestation.Receipts;

/// <summary>Imports the P-256 public keys receipts name.</summary>
internal static class P256
{
    public const string CurveOid = "1.2.840.10045.3.1.7";

    /// <summary>The key in <paramref name="subjectPublicKeyInfo"/>, or null when it is not exactly one P-256 SPKI.</summary>
    public static ECDsa? TryImport(ReadOnlySpan<byte> subjectPublicKeyInfo)
    {
        var key = ECDsa.Create();
        try
        {
            key.ImportSubjectPublicKeyInfo(subjectPublicKeyInfo, out var read);
            if (read == subjectPublicKeyInfo.Length && key.ExportParameters(false).Curve.Oid?.Value == CurveOid)
            {
                return key;
            }
        }
        catch (Exception e) when (e is CryptographicException or PlatformNotSupportedException or ArgumentException)
        {
        }

        key.Dispose();
        return null;
    }
}
