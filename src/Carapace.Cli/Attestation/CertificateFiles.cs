using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Carapace.Cli.Infrastructure;

namespace Carapace.Cli.Attestation;

/// <summary>Reads certificate files given on the command line: PEM with any number of certificates, or one DER certificate.</summary>
internal static class CertificateFiles
{
    /// <summary>
    /// The certificates in <paramref name="path"/>, in file order. Null when the bytes hold no certificate (the caller
    /// decides whether that is a usage error or a rejection); a missing or unreadable file is an I/O failure.
    /// </summary>
    public static X509Certificate2Collection? TryRead(string path, string what)
    {
        var bytes = ReadFile(path, what);
        var collection = new X509Certificate2Collection();
        try
        {
            if (IsPem(bytes))
            {
                collection.ImportFromPem(Encoding.ASCII.GetString(bytes));
            }
            else
            {
                collection.Add(X509CertificateLoader.LoadCertificate(bytes));
            }
        }
        catch (CryptographicException)
        {
            return null;
        }

        return collection.Count == 0 ? null : collection;
    }

    /// <summary>Reads a file named by an option, turning a missing or unreadable file into exit code 3.</summary>
    public static byte[] ReadFile(string path, string what)
    {
        if (Directory.Exists(path))
        {
            throw new CliFailure($"{what} {path} is a directory, not a file", ExitCodes.IoError);
        }

        if (!File.Exists(path))
        {
            throw new CliFailure($"{what} {path} does not exist", ExitCodes.IoError);
        }

        return File.ReadAllBytes(path);
    }

    /// <summary>True when <paramref name="bytes"/> look like PEM text (a <c>-----BEGIN</c> line somewhere).</summary>
    public static bool IsPem(ReadOnlySpan<byte> bytes) => bytes.IndexOf("-----BEGIN "u8) >= 0;
}
