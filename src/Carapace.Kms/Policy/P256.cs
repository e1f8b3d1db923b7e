using System.Security.Cryptography;

namespace Carapace.Kms.Policy;

/// <summary>ECDSA P-256 public keys as policies carry them: base64 of a DER SubjectPublicKeyInfo.</summary>
internal static class P256
{
    private const string CurveOid = "1.2.840.10045.3.1.7";

    /// <summary>Imports a key; null with <paramref name="problem"/> set when it is not a P-256 SubjectPublicKeyInfo.</summary>
    public static ECDsa? TryImport(string base64, out string? problem)
    {
        byte[] der;
        try
        {
            der = Convert.FromBase64String(base64);
        }
        catch (FormatException)
        {
            problem = "is not valid base64";
            return null;
        }

        var key = ECDsa.Create();
        try
        {
            key.ImportSubjectPublicKeyInfo(der, out var read);
            if (read != der.Length)
            {
                problem = $"has {der.Length - read} bytes after the SubjectPublicKeyInfo";
                key.Dispose();
                return null;
            }

            if (key.ExportParameters(includePrivateParameters: false).Curve.Oid?.Value != CurveOid)
            {
                problem = "is not on the P-256 curve (secp256r1)";
                key.Dispose();
                return null;
            }
        }
        catch (CryptographicException)
        {
            problem = "is not a DER SubjectPublicKeyInfo of an ECDSA key";
            key.Dispose();
            return null;
        }
        catch (PlatformNotSupportedException)
        {
            // An EC key on a curve OpenSSL does not know (any OID can be written in its parameters).
            problem = "is not on the P-256 curve (secp256r1)";
            key.Dispose();
            return null;
        }

        problem = null;
        return key;
    }

    /// <summary>True when <paramref name="signature"/> (IEEE P1363, r ‖ s) is valid over <paramref name="data"/> with SHA-256.</summary>
    public static bool Verify(ECDsa key, ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature) =>
        key.VerifyData(data, signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
}
