using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Carapace.Attestation.Dcap;

/// <summary>Reads the PEM certificate chains Intel puts in quotes and collateral (leaf first).</summary>
internal static class PemCertificates
{
    /// <summary>Reads the certificates of PEM bytes (Intel's QE ends them with a NUL, which is ignored).</summary>
    public static List<X509Certificate2> Read(ReadOnlySpan<byte> pem, string what)
    {
        var nul = pem.IndexOf((byte)0);
        var text = Encoding.Latin1.GetString(nul >= 0 ? pem[..nul] : pem);
        return Read(text, what);
    }

    /// <summary>Reads the certificates of a PEM text, in order; throws Malformed when there are none or one is bad.</summary>
    public static List<X509Certificate2> Read(string pem, string what)
    {
        var certificates = new List<X509Certificate2>();
        var rest = pem.AsSpan();
        while (PemEncoding.TryFind(rest, out var fields))
        {
            var label = rest[fields.Label];
            if (label.SequenceEqual("CERTIFICATE"))
            {
                var der = new byte[fields.DecodedDataLength];
                if (!Convert.TryFromBase64Chars(rest[fields.Base64Data], der, out var written) || written != der.Length)
                {
                    throw AttestationException.Malformed($"certificate {certificates.Count + 1} of the {what} is not valid base64");
                }

                certificates.Add(Load(der, certificates.Count + 1, what));
            }

            rest = rest[fields.Location.End..];
        }

        if (certificates.Count == 0)
        {
            throw AttestationException.Malformed($"the {what} contains no PEM certificate");
        }

        return certificates;
    }

    private static X509Certificate2 Load(byte[] der, int position, string what)
    {
        try
        {
            return X509CertificateLoader.LoadCertificate(der);
        }
        catch (CryptographicException)
        {
            throw AttestationException.Malformed($"certificate {position} of the {what} is not a valid X.509 certificate");
        }
    }
}
