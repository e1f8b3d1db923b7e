using System.Buffers.Binary;
using System.Text;
using Carapace.Attestation.Snp;

namespace Carapace.Attestation.Tests.Snp;

public sealed class SnpReportTests
{
    [Fact]
    public void Parse_reads_the_fields_of_the_Milan_vector()
    {
        var report = SnpReport.Parse(SnpTestData.Report);

        Assert.Equal(2u, report.Version);
        Assert.Equal(0u, report.GuestSvn);
        Assert.Equal(0xB0000UL, report.Policy);
        Assert.True(report.Debug);
        Assert.Equal(0u, report.Vmpl);
        Assert.Equal(1u, report.SignatureAlgorithm);
        Assert.Equal(SnpSigningKey.Vcek, report.SigningKey);
        Assert.False(report.MaskChipKey);
        Assert.Equal(SnpTestData.Measurement, Convert.ToHexStringLower(report.Measurement.Span));
        Assert.Equal(SnpTestData.ReportData, Convert.ToHexStringLower(report.ReportData.Span));
        Assert.Equal(SnpTestData.ChipId, Convert.ToHexStringLower(report.ChipId.Span));
        Assert.True(report.HostData.Span.IndexOfAnyExcept((byte)0) < 0);
        Assert.True(report.IdKeyDigest.Span.IndexOfAnyExcept((byte)0) < 0);
        Assert.Equal("0200000000000544", Convert.ToHexStringLower(report.ReportedTcb.ToBytes()));
        Assert.Equal((2, 0, 5, 68), (report.ReportedTcb.BootLoader, report.ReportedTcb.Tee, report.ReportedTcb.Snp, report.ReportedTcb.Microcode));
        Assert.Null(report.CpuidFamilyId);
        Assert.Null(report.LaunchMitigationVector);
        Assert.Equal(SnpReport.SignedLength, report.SignedBytes.Length);
    }

    [Fact]
    public void Parse_turns_the_little_endian_signature_into_big_endian_r_and_s()
    {
        var bytes = SnpTestData.Report;
        var report = SnpReport.Parse(bytes);

        var r = bytes.AsSpan(0x2A0, 48).ToArray();
        var s = bytes.AsSpan(0x2A0 + 72, 48).ToArray();
        Array.Reverse(r);
        Array.Reverse(s);
        Assert.Equal([.. r, .. s], report.Signature.ToArray());
    }

    [Fact]
    public void Parse_accepts_hex_text_with_whitespace_and_either_case()
    {
        var hex = Convert.ToHexString(SnpTestData.Report);
        var text = new StringBuilder();
        for (var i = 0; i < hex.Length; i += 32)
        {
            var line = hex.Substring(i, Math.Min(32, hex.Length - i));
            text.Append(i % 64 == 0 ? line : line.ToLowerInvariant()).Append(i % 96 == 0 ? "\r\n" : " \t\n");
        }

        var report = SnpReport.Parse(Encoding.ASCII.GetBytes(text.ToString()));

        Assert.Equal(SnpTestData.Report, report.Raw.ToArray());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    [InlineData(6)]
    [InlineData(0)]
    public void Parse_rejects_report_versions_it_does_not_read(uint version)
    {
        var bytes = SnpTestData.Report;
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, version);

        var e = Assert.Throws<AttestationException>(() => SnpReport.Parse(bytes));

        Assert.Equal(AttestationFailureReason.UnsupportedVersion, e.Reason);
        Assert.Contains($"version {version}", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_reads_the_cpuid_fields_of_a_version_3_report()
    {
        var bytes = SnpTestData.Report;
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, 3);
        bytes[0x188] = 0x19;
        bytes[0x189] = 0x01;
        bytes[0x18A] = 0x01;

        var report = SnpReport.Parse(bytes);

        Assert.Equal((byte)0x19, report.CpuidFamilyId);
        Assert.Equal((byte)0x01, report.CpuidModelId);
        Assert.Equal((byte)0x01, report.CpuidStepping);
        Assert.Null(report.CurrentMitigationVector);
    }

    [Fact]
    public void Parse_reads_the_mitigation_vectors_of_a_version_5_report()
    {
        var bytes = SnpTestData.Report;
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, 5);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(0x1F8), 0x3);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(0x200), 0x7);

        var report = SnpReport.Parse(bytes);

        Assert.Equal(3UL, report.LaunchMitigationVector);
        Assert.Equal(7UL, report.CurrentMitigationVector);
    }

    [Theory]
    [InlineData(2, 0x188)] // CPUID bytes are reserved before version 3
    [InlineData(3, 0x18B)]
    [InlineData(2, 0x1F8)] // mitigation vectors are reserved before version 5
    [InlineData(5, 0x208)]
    [InlineData(2, 0x4C)]
    [InlineData(2, 0x1EB)]
    [InlineData(2, 0x1EF)]
    [InlineData(2, 0x29F)]
    [InlineData(2, 0x330)] // after r and s
    [InlineData(2, 0x49F)]
    public void Parse_rejects_a_non_zero_reserved_byte(uint version, int offset)
    {
        var bytes = SnpTestData.Report;
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, version);
        bytes[offset] = 0x01;

        var e = Assert.Throws<AttestationException>(() => SnpReport.Parse(bytes));

        Assert.Equal(AttestationFailureReason.Malformed, e.Reason);
        Assert.Contains($"0x{offset:X3}", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0x2A0 + 48)]
    [InlineData(0x2A0 + 71)]
    [InlineData(0x2A0 + 72 + 48)]
    public void Parse_rejects_a_signature_component_wider_than_P384(int offset)
    {
        var bytes = SnpTestData.Report;
        bytes[offset] = 0x01;

        var e = Assert.Throws<AttestationException>(() => SnpReport.Parse(bytes));

        Assert.Equal(AttestationFailureReason.Malformed, e.Reason);
        Assert.Contains("48 bytes", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0u, AttestationFailureReason.UnsupportedVersion)]
    [InlineData(2u, AttestationFailureReason.UnsupportedVersion)]
    public void Parse_rejects_a_signature_algorithm_other_than_ECDSA_P384(uint algorithm, AttestationFailureReason reason)
    {
        var bytes = SnpTestData.Report;
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(0x34), algorithm);

        Assert.Equal(reason, Assert.Throws<AttestationException>(() => SnpReport.Parse(bytes)).Reason);
    }

    [Theory]
    [InlineData(2u << 2)]
    [InlineData(6u << 2)]
    [InlineData(1u << 5)]
    [InlineData(1u << 31)]
    public void Parse_rejects_reserved_signer_info_values(uint signerInfo)
    {
        var bytes = SnpTestData.Report;
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(0x48), signerInfo);

        Assert.Equal(AttestationFailureReason.Malformed, Assert.Throws<AttestationException>(() => SnpReport.Parse(bytes)).Reason);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(1183)]
    [InlineData(1185)]
    [InlineData(2368)]
    public void Parse_rejects_binary_of_the_wrong_size(int length)
    {
        var bytes = new byte[length];
        SnpTestData.Report.AsSpan(0, Math.Min(length, SnpReport.Size)).CopyTo(bytes);

        var e = Assert.Throws<AttestationException>(() => SnpReport.Parse(bytes));

        Assert.Equal(AttestationFailureReason.Malformed, e.Reason);
        Assert.Contains("1184", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(1)]
    [InlineData(2)]
    public void Parse_rejects_hex_text_of_the_wrong_length(int extraDigits)
    {
        var hex = Convert.ToHexStringLower(SnpTestData.Report);
        hex = extraDigits < 0 ? hex[..^1] : hex + new string('0', extraDigits);

        Assert.Equal(AttestationFailureReason.Malformed, Assert.Throws<AttestationException>(() => SnpReport.Parse(Encoding.ASCII.GetBytes(hex))).Reason);
    }
}
