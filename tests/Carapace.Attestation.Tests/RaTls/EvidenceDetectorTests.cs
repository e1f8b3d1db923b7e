using System.Buffers.Binary;
using System.Text;
using Carapace.Attestation.Simulation;
using Carapace.Attestation.Tests.Simulation;

namespace Carapace.Attestation.Tests.RaTls;

public sealed class EvidenceDetectorTests
{
    /// <summary>What each file in TestData is, as far as the detector is concerned (null: not evidence).</summary>
    public static readonly Dictionary<string, EvidenceKind?> Expected = new()
    {
        ["sgx/phala_sgx_quote_v3.bin"] = EvidenceKind.Sgx,
        ["sgx/phala_sgx_quote_v3.collateral.json"] = null,
        ["sgx/intel_sgx_root_ca.pem"] = EvidenceKind.RaTls,
        ["tdx/gotdx_tdx_quote_v4_SPR_E4.bin"] = EvidenceKind.Tdx,
        ["tdx/gotdx_tdx_quote_v4_SPR_E4.collateral.json"] = null,
        ["tdx/gotdx_tcbinfo_response.json"] = null,
        ["tdx/gotdx_qeidentity_response.json"] = null,
        ["tdx/gotdx_pck_platform_crl.der"] = null,
        ["tdx/gotdx_root_ca_crl.der"] = null,
        ["tdx/intel_sgx_root_ca.pem"] = EvidenceKind.RaTls,
        ["snp/gosev_snp_report_milan.bin"] = EvidenceKind.SevSnp,
        ["snp/gosev_vcek_milan.der"] = EvidenceKind.RaTls,
        ["snp/amd_ask_ark_milan.pem"] = EvidenceKind.RaTls,
        ["snp/amd_ark_milan.pem"] = EvidenceKind.RaTls,
        ["nitro/evervault_nitro_doc_2022-10-13.cbor"] = EvidenceKind.Nitro,
        ["nitro/aws_nitro_root_g1.pem"] = EvidenceKind.RaTls,
        ["ratls/ccc_gramine_ratls_cert.pem"] = EvidenceKind.RaTls,
        ["ratls/intel_sgx_root_ca.pem"] = EvidenceKind.RaTls,
        ["MANIFEST.md"] = null,
    };

    public static TheoryData<string> Files() => [.. Expected.Keys];

    [Theory]
    [MemberData(nameof(Files))]
    public void Detect_recognises_each_test_vector(string file) =>
        Assert.Equal(Expected[file], EvidenceDetector.Detect(Vectors.Bytes(file)));

    [Fact]
    public void Detect_answers_for_every_file_in_TestData_without_an_exception()
    {
        var root = Vectors.Path("");
        foreach (var path in Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories))
        {
            _ = EvidenceDetector.Detect(File.ReadAllBytes(path));
        }

        Assert.All(Expected.Keys, file => Assert.True(File.Exists(Vectors.Path(file)), file));
    }

    [Fact]
    public void Detect_recognises_an_SNP_report_given_as_hex_text()
    {
        var hex = Convert.ToHexStringLower(Vectors.Bytes("snp/gosev_snp_report_milan.bin"));
        var wrapped = string.Join("\n", hex.Chunk(64).Select(c => new string(c))) + "\n";

        Assert.Equal(EvidenceKind.SevSnp, EvidenceDetector.Detect(Encoding.ASCII.GetBytes(hex)));
        Assert.Equal(EvidenceKind.SevSnp, EvidenceDetector.Detect(Encoding.ASCII.GetBytes(wrapped)));
        Assert.Null(EvidenceDetector.Detect(Encoding.ASCII.GetBytes(hex[..^2])));
    }

    [Fact]
    public void Detect_recognises_simulation_evidence()
    {
        using var service = SimulatedQuotingService.CreateEphemeral();

        Assert.Equal(EvidenceKind.Simulation, EvidenceDetector.Detect(SimulationFixture.Issue(service, new byte[64])));
    }

    [Fact]
    public void Detect_recognises_a_DER_RA_TLS_certificate_and_a_tagged_COSE_document()
    {
        Assert.Equal(EvidenceKind.RaTls, EvidenceDetector.Detect(RaTlsTestKit.VectorDer));
        Assert.Equal(EvidenceKind.RaTls, EvidenceDetector.Detect(Encoding.ASCII.GetBytes("\n  " + Vectors.Text(RaTlsTestKit.VectorPath))));
        Assert.Equal(EvidenceKind.Nitro, EvidenceDetector.Detect((byte[])[0xD2, .. Vectors.Bytes("nitro/evervault_nitro_doc_2022-10-13.cbor")]));
    }

    [Theory]
    [InlineData(3, 2, 0x00, 0, EvidenceKind.Sgx)]
    [InlineData(3, 3, 0x00, 0, EvidenceKind.Sgx)]
    [InlineData(4, 2, 0x81, 0, EvidenceKind.Tdx)]
    [InlineData(4, 2, 0x00, 0, EvidenceKind.Sgx)]
    [InlineData(5, 2, 0x00, 1, EvidenceKind.Sgx)]
    [InlineData(5, 2, 0x81, 2, EvidenceKind.Tdx)]
    [InlineData(5, 2, 0x81, 3, EvidenceKind.Tdx)]
    [InlineData(5, 2, 0x81, 9, null)]
    [InlineData(4, 2, 0x42, 0, null)]
    [InlineData(3, 1, 0x00, 0, null)]
    [InlineData(2, 2, 0x00, 0, null)]
    public void Detect_tells_SGX_from_TDX_quotes_by_version_TEE_type_and_body_type(int version, int keyType, int teeType, int bodyType, EvidenceKind? expected)
    {
        var quote = new byte[1024];
        BinaryPrimitives.WriteUInt16LittleEndian(quote, (ushort)version);
        BinaryPrimitives.WriteUInt16LittleEndian(quote.AsSpan(2), (ushort)keyType);
        BinaryPrimitives.WriteUInt32LittleEndian(quote.AsSpan(4), (uint)teeType);
        BinaryPrimitives.WriteUInt16LittleEndian(quote.AsSpan(48), (ushort)bodyType);

        Assert.Equal(expected, EvidenceDetector.Detect(quote));
    }

    [Fact]
    public void Detect_does_not_take_a_truncated_quote_header_for_a_quote() =>
        Assert.Null(EvidenceDetector.Detect(Vectors.Bytes("tdx/gotdx_tdx_quote_v4_SPR_E4.bin").AsSpan(0, 100)));

    [Fact]
    public void Detect_recognises_nothing_in_garbage()
    {
        Assert.Null(EvidenceDetector.Detect([]));
        Assert.Null(EvidenceDetector.Detect("hello"u8));
        Assert.Null(EvidenceDetector.Detect(new byte[1184]));
        Assert.Null(EvidenceDetector.Detect(new byte[5000]));
        Assert.Null(EvidenceDetector.Detect([0x30, 0x82, 0x01, 0x00, 0x30]));
        Assert.Null(EvidenceDetector.Detect([0x84, 0x40, 0xA0, 0xF6, 0x40]));
        Assert.Null(EvidenceDetector.Detect("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"u8));
        var random = new Random(1234);
        for (var i = 0; i < 200; i++)
        {
            var bytes = new byte[random.Next(0, 3000)];
            random.NextBytes(bytes);
            _ = EvidenceDetector.Detect(bytes);
        }
    }

    [Fact]
    public void A_quote_that_embeds_a_PEM_chain_is_not_taken_for_a_certificate() =>
        Assert.Equal(EvidenceKind.Sgx, EvidenceDetector.Detect(Vectors.Bytes("sgx/phala_sgx_quote_v3.bin")));
}
