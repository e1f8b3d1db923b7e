using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;

using Carapace.Attestation;

namespace Carapace.Tests.FakeTee;

/// <summary>
/// Builds correctly signed DCAP quotes (any version and body type) and collateral on a <see cref="TestPki"/>, so the
/// paths the public vectors do not reach (version 5, TDX 1.5, revocation, QE and TDX module identities) are tested
/// end to end. Every field can be changed before <see cref="Build"/>.
/// </summary>
internal sealed class SyntheticQuote
{
    public static readonly DateTimeOffset Time = FakeTeeTime.Utc("2030-01-01T00:00:00Z");
    public static readonly byte[] QeMrSigner = Enumerable.Repeat((byte)0x8c, 32).ToArray();
    public static readonly byte[] SgxComponents = [11, 11, 2, 2, 255, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    public const ushort PceSvn = 13;

    public ushort Version { get; set; } = 3;

    public uint TeeType { get; set; }

    /// <summary>The version 5 body type (1 SGX, 2 TDX 1.0, 3 TDX 1.5).</summary>
    public ushort BodyType { get; set; } = 1;

    /// <summary>The report body; its size decides SGX (384), TDX 1.0 (584) or TDX 1.5 (648).</summary>
    public byte[] Body { get; set; } = SgxBody();

    public ushort QeIsvSvn { get; set; } = 10;

    public ushort QeIsvProdId { get; set; } = 1;

    public ushort CertificationDataType { get; set; } = 5;

    /// <summary>Changes the QE report after its REPORTDATA was computed, before the PCK signs it.</summary>
    public Action<byte[]>? TamperQeReport { get; set; }

    public static byte[] SgxBody(bool debug = false)
    {
        var body = new byte[384];
        body[0x30] = (byte)(debug ? 0x07 : 0x05);
        body[0x38] = 0xe7;
        body.AsSpan(0x40, 32).Fill(0xaa);
        body.AsSpan(0x80, 32).Fill(0xbb);
        BinaryPrimitives.WriteUInt16LittleEndian(body.AsSpan(0x100), 7);
        BinaryPrimitives.WriteUInt16LittleEndian(body.AsSpan(0x102), 3);
        body.AsSpan(0x140, 64).Fill(0x42);
        return body;
    }

    public static byte[] TdBody(bool tdx15 = false, bool debug = false, byte moduleMajor = 0, byte moduleSvn = 3)
    {
        var body = new byte[tdx15 ? 648 : 584];
        body[0] = moduleSvn;
        body[1] = moduleMajor;
        body[2] = 5;
        body.AsSpan(0x10, 48).Fill(0x5e);
        body[0x78] = (byte)(debug ? 0x01 : 0x00);
        body[0x7b] = 0x10;
        body.AsSpan(0x88, 48).Fill(0x7d);
        for (var i = 0; i < 4; i++)
        {
            body.AsSpan(0x148 + (48 * i), 48).Fill((byte)(0xa0 + i));
        }

        body.AsSpan(0x208, 64).Fill(0x42);
        if (tdx15)
        {
            body[0x248] = 9;
            body.AsSpan(0x258, 48).Fill(0x5d);
        }

        return body;
    }

    public static SyntheticQuote Tdx(int version = 4, bool tdx15 = false, bool debug = false, byte moduleMajor = 0, byte moduleSvn = 3) => new()
    {
        Version = (ushort)version,
        TeeType = 0x81,
        BodyType = (ushort)(tdx15 ? 3 : 2),
        Body = TdBody(tdx15, debug, moduleMajor, moduleSvn),
        QeIsvProdId = 2,
        QeIsvSvn = 4,
    };

    public byte[] Build(TestPki pki)
    {
        var signed = new List<byte>();
        signed.AddRange(U16(Version));
        signed.AddRange(U16(2));
        signed.AddRange(U32(TeeType));
        signed.AddRange(U16(10));
        signed.AddRange(U16(PceSvn));
        signed.AddRange(Convert.FromHexString("939a7233f79c4ca9940a0db3957f0607"));
        signed.AddRange(new byte[20]);
        if (Version == 5)
        {
            signed.AddRange(U16(BodyType));
            signed.AddRange(U32((uint)Body.Length));
        }

        signed.AddRange(Body);

        using var attestationKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var point = attestationKey.ExportParameters(false).Q;
        var publicKey = point.X!.Concat(point.Y!).ToArray();
        var signature = attestationKey.SignData(signed.ToArray(), HashAlgorithmName.SHA256);

        var authData = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();
        var qeReport = new byte[384];
        qeReport[0x30] = 0x15;
        qeReport[0x38] = 0xe7;
        QeMrSigner.CopyTo(qeReport, 0x80);
        BinaryPrimitives.WriteUInt16LittleEndian(qeReport.AsSpan(0x100), QeIsvProdId);
        BinaryPrimitives.WriteUInt16LittleEndian(qeReport.AsSpan(0x102), QeIsvSvn);
        SHA256.HashData(publicKey.Concat(authData).ToArray()).CopyTo(qeReport, 0x140);
        TamperQeReport?.Invoke(qeReport);
        using var pckKey = pki.Pck.GetECDsaPrivateKey()!;
        var qeSignature = pckKey.SignData(qeReport, HashAlgorithmName.SHA256);

        var certificationData = Encoding.ASCII.GetBytes(pki.PckChainPem).Append((byte)0).ToArray();
        var qeCertificationData = new List<byte>();
        qeCertificationData.AddRange(qeReport);
        qeCertificationData.AddRange(qeSignature);
        qeCertificationData.AddRange(U16((ushort)authData.Length));
        qeCertificationData.AddRange(authData);
        qeCertificationData.AddRange(U16(CertificationDataType));
        qeCertificationData.AddRange(U32((uint)certificationData.Length));
        qeCertificationData.AddRange(certificationData);

        var signatureData = new List<byte>();
        signatureData.AddRange(signature);
        signatureData.AddRange(publicKey);
        if (Version != 3)
        {
            signatureData.AddRange(U16(6));
            signatureData.AddRange(U32((uint)qeCertificationData.Count));
        }

        signatureData.AddRange(qeCertificationData);
        return [.. signed, .. U32((uint)signatureData.Count), .. signatureData];
    }

    /// <summary>Collateral for quotes of <paramref name="pki"/>, valid 2029..2031 (or <paramref name="issued"/>..<paramref name="nextUpdate"/>), signed by its TCB signing key.</summary>
    public static DcapCollateral Collateral(
        TestPki pki,
        bool tdx = false,
        IEnumerable<object>? tcbLevels = null,
        IEnumerable<object>? qeLevels = null,
        object? tdxModuleIdentities = null,
        byte[]? qeMrSigner = null,
        byte[]? pckCrl = null,
        byte[]? rootCrl = null,
        DateTimeOffset? issued = null,
        DateTimeOffset? nextUpdate = null)
    {
        var from = issued ?? FakeTeeTime.Utc("2029-06-01T00:00:00Z");
        var until = nextUpdate ?? FakeTeeTime.Utc("2031-06-01T00:00:00Z");
        var tcbInfo = new Dictionary<string, object>
        {
            ["id"] = tdx ? "TDX" : "SGX",
            ["version"] = 3,
            ["issueDate"] = from,
            ["nextUpdate"] = until,
            ["fmspc"] = Convert.ToHexString(TestPki.Fmspc),
            ["pceId"] = "0000",
            ["tcbType"] = 0,
            ["tcbEvaluationDataNumber"] = 17,
            ["tcbLevels"] = tcbLevels ?? [Level(SgxComponents, PceSvn, tdx ? TdxComponents(3, 0) : null, "UpToDate")],
        };
        if (tdx)
        {
            tcbInfo["tdxModule"] = new { mrsigner = new string('0', 96), attributes = "0000000000000000", attributesMask = "FFFFFFFFFFFFFFFF" };
            if (tdxModuleIdentities is not null)
            {
                tcbInfo["tdxModuleIdentities"] = tdxModuleIdentities;
            }
        }

        var qeIdentity = new Dictionary<string, object>
        {
            ["id"] = tdx ? "TD_QE" : "QE",
            ["version"] = 2,
            ["issueDate"] = from,
            ["nextUpdate"] = until,
            ["tcbEvaluationDataNumber"] = 17,
            ["miscselect"] = "00000000",
            ["miscselectMask"] = "FFFFFFFF",
            ["attributes"] = "11000000000000000000000000000000",
            ["attributesMask"] = "FBFFFFFFFFFFFFFF0000000000000000",
            ["mrsigner"] = Convert.ToHexString(qeMrSigner ?? QeMrSigner),
            ["isvprodid"] = tdx ? 2 : 1,
            ["tcbLevels"] = qeLevels ?? [QeLevel(tdx ? 4 : 8, "UpToDate")],
        };
        var tcbInfoText = JsonSerializer.Serialize(tcbInfo);
        var qeIdentityText = JsonSerializer.Serialize(qeIdentity);
        return new DcapCollateral
        {
            PckCrlIssuerChain = pki.PckCa.ExportCertificatePem() + "\n" + pki.Root.ExportCertificatePem(),
            RootCaCrl = rootCrl ?? TestPki.Crl(pki.Root, from, until),
            PckCrl = pckCrl ?? TestPki.Crl(pki.PckCa, from, until),
            TcbInfoIssuerChain = pki.TcbChainPem,
            TcbInfo = tcbInfoText,
            TcbInfoSignature = pki.SignCollateral(tcbInfoText),
            QeIdentityIssuerChain = pki.TcbChainPem,
            QeIdentity = qeIdentityText,
            QeIdentitySignature = pki.SignCollateral(qeIdentityText),
        };
    }

    public static object Level(byte[] sgx, int pceSvn, byte[]? tdx, string status, params string[] advisories)
    {
        var tcb = new Dictionary<string, object>
        {
            ["sgxtcbcomponents"] = sgx.Select(svn => new { svn = (int)svn }).ToArray(),
            ["pcesvn"] = pceSvn,
        };
        if (tdx is not null)
        {
            tcb["tdxtcbcomponents"] = tdx.Select(svn => new { svn = (int)svn }).ToArray();
        }

        return new { tcb, tcbDate = "2024-03-13T00:00:00Z", tcbStatus = status, advisoryIDs = advisories };
    }

    public static object QeLevel(int isvSvn, string status, params string[] advisories) =>
        new { tcb = new { isvsvn = isvSvn }, tcbDate = "2024-03-13T00:00:00Z", tcbStatus = status, advisoryIDs = advisories };

    public static byte[] TdxComponents(byte moduleSvn, byte moduleMajor) => [moduleSvn, moduleMajor, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];

    private static byte[] U16(ushort value)
    {
        var bytes = new byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(bytes, value);
        return bytes;
    }

    private static byte[] U32(uint value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, value);
        return bytes;
    }
}
