using System.Security.Cryptography;
using System.Text;

namespace Carapace.Kms.Client.Policy;

/// <summary>
/// A policy owner's ECDSA P-256 signing key. On disk it is a PKCS#8 PEM file (<c>-----BEGIN PRIVATE KEY-----</c>,
/// readable by OpenSSL) created with mode 0600 through a temporary file; loading refuses files other users can access,
/// the way ssh refuses private keys. Dispose it to release the key.
/// </summary>
public sealed class OwnerKey : IDisposable
{
    private const string Kind = "owner key";
    private const int MaxFileBytes = 4096;
    private readonly ECDsa _key;

    private OwnerKey(ECDsa key)
    {
        _key = key;
        PublicKey = key.ExportSubjectPublicKeyInfo();
    }

    /// <summary>The public key as DER SubjectPublicKeyInfo.</summary>
    public ReadOnlyMemory<byte> PublicKey { get; }

    /// <summary>The public key as policies list it: base64 of the DER SubjectPublicKeyInfo.</summary>
    public string PublicKeyBase64 => Convert.ToBase64String(PublicKey.Span);

    /// <summary>A fresh key held only in memory.</summary>
    public static OwnerKey Generate() => new(ECDsa.Create(ECCurve.NamedCurves.nistP256));

    /// <summary>Creates a fresh key and writes it to <paramref name="path"/> (mode 0600).</summary>
    /// <exception cref="KmsKeyFileException">The file exists (without <paramref name="overwrite"/>) or cannot be written.</exception>
    public static OwnerKey Create(string path, bool overwrite = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var key = Generate();
        var pem = key._key.ExportPkcs8PrivateKeyPem().ToCharArray();
        var bytes = Encoding.ASCII.GetBytes(pem);
        try
        {
            OwnerOnlyFile.Write(path, bytes, Kind, overwrite);
            return key;
        }
        catch
        {
            key.Dispose();
            throw;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bytes);
            Array.Clear(pem);
        }
    }

    /// <summary>Loads a key written by <see cref="Create"/> (or any unencrypted PKCS#8 P-256 PEM with mode 0600).</summary>
    /// <exception cref="KmsKeyFileException">The file is missing, accessible by other users, or not a P-256 private key.</exception>
    public static OwnerKey Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var bytes = OwnerOnlyFile.Read(path, Kind, MaxFileBytes);
        var text = new char[bytes.Length];
        var ecdsa = ECDsa.Create();
        try
        {
            var count = Encoding.ASCII.GetChars(bytes, text);
            ecdsa.ImportFromPem(text.AsSpan(0, count));
            if (ecdsa.ExportParameters(false).Curve.Oid?.Value != "1.2.840.10045.3.1.7")
            {
                throw new KmsKeyFileException($"{path} is not an owner key: its key is not on the P-256 curve");
            }

            return new OwnerKey(ecdsa);
        }
        catch (Exception e) when (e is ArgumentException or CryptographicException)
        {
            ecdsa.Dispose();
            throw new KmsKeyFileException($"{path} is not an owner key: it must hold one unencrypted PKCS#8 PEM ECDSA P-256 private key", e);
        }
        catch
        {
            ecdsa.Dispose();
            throw;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bytes);
            Array.Clear(text);
        }
    }

    /// <summary>Signs <paramref name="data"/>: ECDSA P-256 over SHA-256, IEEE P1363 form (r ‖ s, 64 bytes).</summary>
    public byte[] Sign(ReadOnlySpan<byte> data) =>
        _key.SignData(data, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);

    /// <summary>Releases the key.</summary>
    public void Dispose() => _key.Dispose();
}
