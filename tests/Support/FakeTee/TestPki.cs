using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

using Carapace.Attestation;

namespace Carapace.Tests.FakeTee;

/// <summary>
/// A throw-away Intel-shaped PKI for synthetic quotes: a root CA, a PCK CA, a PCK certificate with an SGX extension,
/// and a TCB signing certificate, all ECDSA P-256, valid for 2020..2040.
/// </summary>
internal sealed class TestPki : IDisposable
{
    public static readonly DateTimeOffset NotBefore = FakeTeeTime.Utc("2020-01-01T00:00:00Z");
    public static readonly DateTimeOffset NotAfter = FakeTeeTime.Utc("2040-01-01T00:00:00Z");
    public static readonly byte[] Fmspc = [0x00, 0x90, 0x6e, 0xa1, 0x00, 0x00];
    public static readonly byte[] PceId = [0x00, 0x00];

    private TestPki(X509Certificate2 root, X509Certificate2 pckCa, X509Certificate2 pck, X509Certificate2 tcbSigner)
    {
        Root = root;
        PckCa = pckCa;
        Pck = pck;
        TcbSigner = tcbSigner;
    }

    public X509Certificate2 Root { get; }

    public X509Certificate2 PckCa { get; }

    public X509Certificate2 Pck { get; }

    public X509Certificate2 TcbSigner { get; }

    public TrustAnchors Anchors => TrustAnchors.Custom([X509CertificateLoader.LoadCertificate(Root.RawData)]);

    public string PckChainPem => string.Concat(new[] { Pck, PckCa, Root }.Select(c => c.ExportCertificatePem() + "\n"));

    public string TcbChainPem => TcbSigner.ExportCertificatePem() + "\n" + Root.ExportCertificatePem() + "\n";

    /// <summary>Creates the PKI; the PCK certificate carries <paramref name="components"/> and <paramref name="pceSvn"/>.</summary>
    public static TestPki Create(byte[] components, ushort pceSvn, string pckName = "CN=Test SGX PCK Certificate")
    {
        var root = SelfSigned("CN=Test SGX Root CA");
        var pckCa = Issue(root, "CN=Test SGX PCK Platform CA", ca: true, serial: 0x10);
        var pck = Issue(pckCa, pckName, ca: false, serial: 0x20, SgxExtension(components, pceSvn));
        var tcbSigner = Issue(root, "CN=Test SGX TCB Signing", ca: false, serial: 0x30);
        return new TestPki(root, pckCa, pck, tcbSigner);
    }

    /// <summary>A CRL by <paramref name="issuer"/> for thisUpdate..nextUpdate listing <paramref name="revoked"/>.</summary>
    public static byte[] Crl(X509Certificate2 issuer, DateTimeOffset thisUpdate, DateTimeOffset nextUpdate, params X509Certificate2[] revoked)
    {
        var builder = new CertificateRevocationListBuilder();
        foreach (var certificate in revoked)
        {
            builder.AddEntry(certificate, thisUpdate);
        }

        return builder.Build(issuer, 1, nextUpdate, HashAlgorithmName.SHA256, thisUpdate: thisUpdate);
    }

    /// <summary>The raw r‖s signature of the TCB signing key over <paramref name="text"/>.</summary>
    public byte[] SignCollateral(string text)
    {
        using var key = TcbSigner.GetECDsaPrivateKey()!;
        return key.SignData(System.Text.Encoding.UTF8.GetBytes(text), HashAlgorithmName.SHA256);
    }

    public void Dispose()
    {
        Root.Dispose();
        PckCa.Dispose();
        Pck.Dispose();
        TcbSigner.Dispose();
    }

    private static X509Certificate2 SelfSigned(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = Request(name, key, ca: true);
        return request.CreateSelfSigned(NotBefore, NotAfter);
    }

    private static X509Certificate2 Issue(X509Certificate2 issuer, string name, bool ca, long serial, X509Extension? extra = null)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = Request(name, key, ca);
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer, includeKeyIdentifier: true, includeIssuerAndSerial: false));
        if (extra is not null)
        {
            request.CertificateExtensions.Add(extra);
        }

        var serialBytes = BitConverter.GetBytes(serial).Reverse().SkipWhile(b => b == 0).ToArray();
        using var certificate = request.Create(issuer, NotBefore, NotAfter, serialBytes);
        return certificate.CopyWithPrivateKey(key);
    }

    private static CertificateRequest Request(string name, ECDsa key, bool ca)
    {
        var request = new CertificateRequest(name, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(ca, false, 0, ca));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(
            ca ? X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign : X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.NonRepudiation, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        return request;
    }

    /// <summary>The Intel SGX extension (1.2.840.113741.1.13.1) as Intel's PCK certificates encode it.</summary>
    public static X509Extension SgxExtension(byte[] components, ushort pceSvn)
    {
        const string sgx = "1.2.840.113741.1.13.1";
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            using (writer.PushSequence())
            {
                writer.WriteObjectIdentifier(sgx + ".1");
                writer.WriteOctetString(new byte[16]);
            }

            using (writer.PushSequence())
            {
                writer.WriteObjectIdentifier(sgx + ".2");
                using (writer.PushSequence())
                {
                    for (var i = 0; i < 16; i++)
                    {
                        using (writer.PushSequence())
                        {
                            writer.WriteObjectIdentifier($"{sgx}.2.{i + 1}");
                            writer.WriteInteger(components[i]);
                        }
                    }

                    using (writer.PushSequence())
                    {
                        writer.WriteObjectIdentifier(sgx + ".2.17");
                        writer.WriteInteger(pceSvn);
                    }

                    using (writer.PushSequence())
                    {
                        writer.WriteObjectIdentifier(sgx + ".2.18");
                        writer.WriteOctetString(components);
                    }
                }
            }

            using (writer.PushSequence())
            {
                writer.WriteObjectIdentifier(sgx + ".3");
                writer.WriteOctetString(PceId);
            }

            using (writer.PushSequence())
            {
                writer.WriteObjectIdentifier(sgx + ".4");
                writer.WriteOctetString(Fmspc);
            }

            using (writer.PushSequence())
            {
                writer.WriteObjectIdentifier(sgx + ".5");
                writer.WriteEncodedValue([0x0a, 0x01, 0x00]);
            }
        }

        return new X509Extension(sgx, writer.Encode(), critical: false);
    }
}
