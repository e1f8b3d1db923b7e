using System.Formats.Cbor;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Carapace.Attestation.Tests.Nitro;

/// <summary>
/// A test-only Nitro document factory: its own P-384 root and leaf, and a payload whose fields a test can replace,
/// drop, duplicate or retype, signed as COSE_Sign1. Nothing it makes chains to the AWS root.
/// </summary>
internal sealed class FakeNitro : IDisposable
{
    public static readonly DateTimeOffset At = Vectors.Utc("2022-10-13T09:30:00Z");

    private readonly ECDsa _rootKey = ECDsa.Create(ECCurve.NamedCurves.nistP384);

    public FakeNitro(ECCurve? leafCurve = null)
    {
        var rootName = new X500DistinguishedName("CN=test imitation of aws.nitro-enclaves");
        var rootRequest = new CertificateRequest(rootName, _rootKey, HashAlgorithmName.SHA384);
        rootRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        rootRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        Root = rootRequest.CreateSelfSigned(At.AddDays(-30), At.AddDays(30));

        LeafKey = ECDsa.Create(leafCurve ?? ECCurve.NamedCurves.nistP384);
        var leafRequest = new CertificateRequest("CN=test enclave", LeafKey, HashAlgorithmName.SHA384);
        Leaf = leafRequest.Create(rootName, X509SignatureGenerator.CreateForECDsa(_rootKey), At.AddHours(-1), At.AddHours(2), [7]);
    }

    public X509Certificate2 Root { get; }

    public X509Certificate2 Leaf { get; }

    public ECDsa LeafKey { get; }

    public VerificationOptions Options() => new() { At = At, Roots = TrustAnchors.Custom([Root]) };

    /// <summary>The payload fields in AWS's order; tests edit the list before calling <see cref="Sign"/>.</summary>
    public List<(string Key, Action<CborWriter> Write)> Fields() =>
    [
        ("module_id", w => w.WriteTextString("i-test-enc0")),
        ("digest", w => w.WriteTextString("SHA384")),
        ("timestamp", w => w.WriteUInt64(1665653400000)),
        ("pcrs", w => Pcrs(w, Enumerable.Range(0, 3).Select(i => (i, Pcr((byte)(i + 1)))))),
        ("certificate", w => w.WriteByteString(Leaf.RawData)),
        ("cabundle", w => ByteStrings(w, Root.RawData)),
        ("public_key", w => w.WriteNull()),
        ("user_data", w => w.WriteNull()),
        ("nonce", w => w.WriteNull()),
    ];

    public static byte[] Pcr(byte fill, int length = 48) => Enumerable.Repeat(fill, length).ToArray();

    public static void Pcrs(CborWriter writer, IEnumerable<(int Index, byte[] Value)> pcrs)
    {
        var list = pcrs.ToList();
        writer.WriteStartMap(list.Count);
        foreach (var (index, value) in list)
        {
            writer.WriteInt32(index);
            writer.WriteByteString(value);
        }

        writer.WriteEndMap();
    }

    public static void ByteStrings(CborWriter writer, params byte[][] items)
    {
        writer.WriteStartArray(items.Length);
        foreach (var item in items)
        {
            writer.WriteByteString(item);
        }

        writer.WriteEndArray();
    }

    /// <summary>Encodes and signs a document; the protected header is <c>{1: algorithm}</c> unless given.</summary>
    public byte[] Sign(
        IEnumerable<(string Key, Action<CborWriter> Write)> fields,
        long algorithm = -35,
        ECDsa? key = null,
        byte[]? protectedHeader = null,
        Func<byte[], byte[]>? signature = null)
    {
        var payloadWriter = new CborWriter(CborConformanceMode.Lax);
        var list = fields.ToList();
        payloadWriter.WriteStartMap(list.Count);
        foreach (var (name, write) in list)
        {
            payloadWriter.WriteTextString(name);
            write(payloadWriter);
        }

        payloadWriter.WriteEndMap();
        var payload = payloadWriter.Encode();

        if (protectedHeader is null)
        {
            var header = new CborWriter();
            header.WriteStartMap(1);
            header.WriteInt32(1);
            header.WriteInt64(algorithm);
            header.WriteEndMap();
            protectedHeader = header.Encode();
        }

        var toBeSigned = new CborWriter();
        toBeSigned.WriteStartArray(4);
        toBeSigned.WriteTextString("Signature1");
        toBeSigned.WriteByteString(protectedHeader);
        toBeSigned.WriteByteString([]);
        toBeSigned.WriteByteString(payload);
        toBeSigned.WriteEndArray();
        var signed = (key ?? LeafKey).SignData(toBeSigned.Encode(), HashAlgorithmName.SHA384, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);

        var document = new CborWriter();
        document.WriteStartArray(4);
        document.WriteByteString(protectedHeader);
        document.WriteStartMap(0);
        document.WriteEndMap();
        document.WriteByteString(payload);
        document.WriteByteString(signature is null ? signed : signature(signed));
        document.WriteEndArray();
        return document.Encode();
    }

    public void Dispose()
    {
        _rootKey.Dispose();
        LeafKey.Dispose();
        Root.Dispose();
        Leaf.Dispose();
    }
}
