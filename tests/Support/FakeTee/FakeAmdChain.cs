using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Carapace.Attestation.Snp;

using Carapace.Attestation;

namespace Carapace.Tests.FakeTee;

/// <summary>
/// A test-only imitation of AMD's ARK → ASK → VCEK hierarchy (RSA-PSS SHA-384 CAs, a P-384 VCEK with serial 0 and
/// the KDS extensions), so reports with other versions, chips and TCBs can be signed and verified end to end
/// against <see cref="TrustAnchors.Custom"/>. Nothing it signs chains to a real AMD root.
/// </summary>
internal sealed class FakeAmdChain : IDisposable
{
    private static readonly DateTimeOffset _notBefore = FakeTeeTime.Utc("2023-01-01T00:00:00Z");
    private static readonly DateTimeOffset _notAfter = FakeTeeTime.Utc("2030-01-01T00:00:00Z");

    // RSA key generation is slow; every imitation chain shares two keys (the names still differ per product).
    private static readonly Lazy<RSA> _arkKey = new(() => RSA.Create(2048));
    private static readonly Lazy<RSA> _askKey = new(() => RSA.Create(2048));

    private readonly ECDsa _vcekKey = ECDsa.Create(ECCurve.NamedCurves.nistP384);

    public FakeAmdChain(string product, byte[] chipId, SnpTcbVersion tcb)
    {
        var arkKey = _arkKey.Value;
        var askKey = _askKey.Value;
        var arkName = Name($"ARK-{product}");
        var askName = Name($"SEV-{product}");

        var arkRequest = CaRequest(arkName, arkKey);
        Ark = arkRequest.CreateSelfSigned(_notBefore.AddYears(-1), _notAfter.AddYears(1));

        var askRequest = CaRequest(askName, askKey);
        Ask = askRequest.Create(arkName, X509SignatureGenerator.CreateForRSA(arkKey, RSASignaturePadding.Pss), _notBefore.AddYears(-1), _notAfter.AddYears(1), [1]);

        var vcekRequest = new CertificateRequest(Name("SEV-VCEK"), _vcekKey, HashAlgorithmName.SHA384);
        vcekRequest.CertificateExtensions.Add(new X509Extension("1.3.6.1.4.1.3704.1.3.1", Integer(tcb.BootLoader), false));
        vcekRequest.CertificateExtensions.Add(new X509Extension("1.3.6.1.4.1.3704.1.3.2", Integer(tcb.Tee), false));
        vcekRequest.CertificateExtensions.Add(new X509Extension("1.3.6.1.4.1.3704.1.3.3", Integer(tcb.Snp), false));
        vcekRequest.CertificateExtensions.Add(new X509Extension("1.3.6.1.4.1.3704.1.3.8", Integer(tcb.Microcode), false));
        vcekRequest.CertificateExtensions.Add(new X509Extension("1.3.6.1.4.1.3704.1.4", chipId, false));
        var generator = X509SignatureGenerator.CreateForRSA(askKey, RSASignaturePadding.Pss);
        Vcek = vcekRequest.Create(askName, generator, _notBefore, _notAfter, [0]);
    }

    public X509Certificate2 Ark { get; }

    public X509Certificate2 Ask { get; }

    public X509Certificate2 Vcek { get; }

    /// <summary>Options that trust only this chain's ARK.</summary>
    public VerificationOptions Options(DateTimeOffset? at = null) => new()
    {
        At = at ?? FakeTeeTime.Utc("2024-01-15T00:00:00Z"),
        Roots = TrustAnchors.Custom([Ark]),
        SnpCollateral = new SnpCollateral(Vcek, [Ask]),
    };

    /// <summary>Signs bytes 0x000–0x29F of <paramref name="report"/> with the VCEK key, in the ABI's little-endian form.</summary>
    public byte[] Sign(byte[] report) => SignWith(_vcekKey, report);

    public static byte[] SignWith(ECDsa key, byte[] report)
    {
        var signed = (byte[])report.Clone();
        var signature = key.SignData(signed.AsSpan(0, SnpReport.SignedLength), HashAlgorithmName.SHA384, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        signed.AsSpan(0x2A0, 144).Clear();
        for (var i = 0; i < 48; i++)
        {
            signed[0x2A0 + i] = signature[47 - i];
            signed[0x2A0 + 72 + i] = signature[95 - i];
        }

        return signed;
    }

    public void Dispose()
    {
        _vcekKey.Dispose();
        Ark.Dispose();
        Ask.Dispose();
        Vcek.Dispose();
    }

    private static CertificateRequest CaRequest(X500DistinguishedName name, RSA key)
    {
        var request = new CertificateRequest(name, key, HashAlgorithmName.SHA384, RSASignaturePadding.Pss);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        return request;
    }

    private static X500DistinguishedName Name(string commonName) =>
        new($"CN={commonName}, O=Test imitation of Advanced Micro Devices, OU=Engineering");

    private static byte[] Integer(int value)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        writer.WriteInteger(value);
        return writer.Encode();
    }
}
