using Carapace.Attestation.Dcap;
using static Carapace.Attestation.Tests.Dcap.DcapVectors;
using static Carapace.Attestation.Tests.Dcap.QuoteBytes;

namespace Carapace.Attestation.Tests.Dcap;

public sealed class DcapQuoteTests
{
    [Fact]
    public void Parse_reads_the_sgx_version_3_vector()
    {
        var quote = DcapQuote.Parse(SgxQuote());

        Assert.Equal(3, quote.Version);
        Assert.Equal(2, quote.AttestationKeyType);
        Assert.Equal(0u, quote.TeeType);
        Assert.Equal(10, quote.QeSvn);
        Assert.Equal(15, quote.PceSvn);
        Assert.Equal("939a7233f79c4ca9940a0db3957f0607", Hex(quote.QeVendorId));
        Assert.Equal(20, quote.UserData.Length);
        Assert.Equal(DcapBodyType.Sgx, quote.BodyType);
        Assert.Equal(EvidenceKind.Sgx, quote.Kind);
        Assert.Equal(384, quote.Body.Length);
        Assert.Equal(432, quote.SignedData.Length);
        Assert.Equal(64, quote.Signature.Length);
        Assert.Equal(64, quote.AttestationKey.Length);
        Assert.Equal(384, quote.QeReport.Length);
        Assert.Equal(32, quote.QeAuthData.Length);
        Assert.Equal(5, quote.CertificationDataType);
        Assert.Equal(3548, quote.CertificationData.Length);
        Assert.Equal(4600, quote.Length);
        Assert.Equal("33d8736db756ed4997e04ba358d27833188f1932ff7b1d156904d3f560452fbb", Hex(quote.Measurement));
        Assert.False(quote.Debug);
        Assert.StartsWith("48656c6c6f2c20776f726c6421", Hex(quote.ReportData), StringComparison.Ordinal);
        Assert.Equal("mrenclave", quote.ReportClaims[0].Name);
    }

    [Fact]
    public void Parse_reads_the_tdx_version_4_vector_and_ignores_the_bytes_after_its_signature_data()
    {
        var bytes = TdxQuote();
        var quote = DcapQuote.Parse(bytes);

        Assert.Equal(4, quote.Version);
        Assert.Equal(0x81u, quote.TeeType);
        Assert.Equal(DcapBodyType.Tdx10, quote.BodyType);
        Assert.Equal(EvidenceKind.Tdx, quote.Kind);
        Assert.Equal(584, quote.Body.Length);
        Assert.Equal(632, quote.SignedData.Length);
        Assert.Equal(5, quote.CertificationDataType);
        Assert.Equal(3677, quote.CertificationData.Length);
        Assert.Equal(4935, quote.Length);
        Assert.Equal(bytes.Length - 39, quote.Length);
        Assert.Equal("6363b8043668a3ad953278e10389574d326c6749fb78aa810ecd9336923db86f22fc00b8dcd404bc10d5e119d7215cbb", Hex(quote.Measurement));
        Assert.Equal("mrtd", quote.ReportClaims[0].Name);
    }

    [Fact]
    public void Parse_copies_the_quote_so_later_changes_to_the_input_do_not_alter_it()
    {
        var bytes = SgxQuote();
        var quote = DcapQuote.Parse(bytes);
        bytes[48 + 0x40] ^= 0xff;

        Assert.Equal("33d8736db756ed4997e04ba358d27833188f1932ff7b1d156904d3f560452fbb", Hex(quote.Measurement));
    }

    [Theory]
    [InlineData((ushort)2, "", 584)]
    [InlineData((ushort)3, "tdx15", 648)]
    public void Parse_reads_version_5_tdx_bodies(ushort bodyType, string variant, int bodySize)
    {
        var extra = variant == "tdx15" ? Enumerable.Range(1, 64).Select(i => (byte)i).ToArray() : null;
        var quote = DcapQuote.Parse(ToVersion5(TdxQuote(), bodyType, extra));

        Assert.Equal(5, quote.Version);
        Assert.Equal((DcapBodyType)bodyType, quote.BodyType);
        Assert.Equal(bodySize, quote.Body.Length);
        Assert.Equal(48 + 6 + bodySize, quote.SignedData.Length);
        Assert.Equal(3677, quote.CertificationData.Length);
        Assert.Equal(variant == "tdx15", quote.ReportClaims.Any(c => c.Name == "mrservicetd"));
        if (extra is not null)
        {
            Assert.Equal(extra[..16], quote.ReportClaims.Single(c => c.Name == "teetcbsvn2").Bytes);
            Assert.Equal(extra[16..], quote.ReportClaims.Single(c => c.Name == "mrservicetd").Bytes);
        }
    }

    [Fact]
    public void Parse_reads_a_version_5_sgx_body()
    {
        var quote = DcapQuote.Parse(ToVersion5(SgxQuote(), 1));

        Assert.Equal(DcapBodyType.Sgx, quote.BodyType);
        Assert.Equal(3548, quote.CertificationData.Length);
        Assert.Equal("33d8736db756ed4997e04ba358d27833188f1932ff7b1d156904d3f560452fbb", Hex(quote.Measurement));
    }

    [Fact]
    public void Version_5_quotes_reach_the_signature_check_of_the_matching_verifier()
    {
        var sgx = new SgxQuoteVerifier().Verify(ToVersion5(SgxQuote(), 1), At(SgxTime));
        var tdx = new TdxQuoteVerifier().Verify(ToVersion5(TdxQuote(), 2), At(TdxTime));

        Assert.Equal(AttestationFailureReason.BadSignature, sgx.Failure?.Reason);
        Assert.Equal(AttestationFailureReason.BadSignature, tdx.Failure?.Reason);
    }

    [Theory]
    [InlineData((ushort)2)]
    [InlineData((ushort)6)]
    [InlineData((ushort)0xffff)]
    public void Parse_rejects_other_versions_as_unsupported(ushort version)
    {
        AssertFails(AttestationFailureReason.UnsupportedVersion, WithU16(SgxQuote(), 0, version), "version");
    }

    [Fact]
    public void Parse_rejects_an_attestation_key_type_other_than_ecdsa_p256()
    {
        AssertFails(AttestationFailureReason.UnsupportedVersion, WithU16(SgxQuote(), 2, 3), "attestation key type 3");
    }

    [Fact]
    public void Parse_rejects_a_quoting_enclave_of_another_vendor()
    {
        AssertFails(AttestationFailureReason.UnsupportedVersion, Flip(SgxQuote(), 12), "vendor");
    }

    [Fact]
    public void Parse_rejects_a_version_3_quote_with_a_tdx_tee_type()
    {
        AssertFails(AttestationFailureReason.UnsupportedVersion, WithU32(SgxQuote(), 4, 0x81), "version 3");
    }

    [Fact]
    public void Parse_rejects_an_unknown_tee_type()
    {
        AssertFails(AttestationFailureReason.UnsupportedVersion, WithU32(TdxQuote(), 4, 0x82), "TEE type");
    }

    [Fact]
    public void Parse_rejects_an_unknown_version_5_body_type()
    {
        AssertFails(AttestationFailureReason.UnsupportedVersion, ToVersion5(TdxQuote(), 4), "body type 4");
    }

    [Fact]
    public void Parse_rejects_a_version_5_body_size_that_does_not_fit_its_type()
    {
        AssertFails(AttestationFailureReason.Malformed, WithU32(ToVersion5(TdxQuote(), 2), 50, 648), "descriptor");
    }

    [Fact]
    public void Parse_rejects_a_version_5_body_type_that_contradicts_the_tee_type()
    {
        AssertFails(AttestationFailureReason.Malformed, WithU32(ToVersion5(TdxQuote(), 2), 4, 0), "TEE type");
    }

    [Fact]
    public void Parse_rejects_a_version_4_quote_whose_certification_data_is_not_qe_report_certification_data()
    {
        AssertFails(AttestationFailureReason.UnsupportedVersion, WithU16(TdxQuote(), TdxSignatureLengthOffset + 4 + 128, 5), "type 6");
    }

    [Fact]
    public void Parse_rejects_a_header_shorter_than_48_bytes()
    {
        AssertFails(AttestationFailureReason.Malformed, SgxQuote()[..47], "48-byte header");
    }

    [Fact]
    public void Parse_rejects_a_signature_data_length_running_past_the_end()
    {
        AssertFails(AttestationFailureReason.Malformed, WithU32(SgxQuote(), SgxSignatureLengthOffset, 4165), "signature data");
    }

    [Fact]
    public void Parse_rejects_a_huge_signature_data_length()
    {
        AssertFails(AttestationFailureReason.Malformed, WithU32(SgxQuote(), SgxSignatureLengthOffset, uint.MaxValue), "signature data");
    }

    [Fact]
    public void Parse_rejects_signature_data_longer_than_its_parts()
    {
        var quote = WithU32(TdxQuote(), TdxSignatureLengthOffset, 4300);

        AssertFails(AttestationFailureReason.Malformed, quote, "more bytes than its fields use");
    }

    [Fact]
    public void Parse_rejects_a_certification_data_size_running_past_the_signature_data()
    {
        AssertFails(AttestationFailureReason.Malformed, WithU32(SgxQuote(), 4600 - 3548 - 4, 3549), "certification data");
    }

    [Fact]
    public void Parse_rejects_qe_report_certification_data_shorter_than_its_parts()
    {
        AssertFails(AttestationFailureReason.Malformed, WithU32(TdxQuote(), TdxSignatureLengthOffset + 4 + 128 + 2, 4164), "QE report certification data");
    }

    private static void AssertFails(AttestationFailureReason reason, byte[] quote, string messagePart)
    {
        var e = Assert.Throws<AttestationException>(() => DcapQuote.Parse(quote));
        Assert.Equal(reason, e.Reason);
        Assert.Contains(messagePart, e.Message, StringComparison.Ordinal);
    }
}
