using System.Buffers.Binary;
using Carapace.Attestation.Snp;

namespace Carapace.Attestation.Tests.Tee;

public sealed class SnpCertificateTableTests
{
    private static readonly SnpReportVerifier Verifier = new();

    [Fact]
    public void A_report_with_its_table_verifies_without_collateral_and_the_table_s_ARK_is_not_trusted()
    {
        using var snp = new FakeSnpPlatform();
        var (report, table) = snp.Report(new byte[64]);

        var withRoot = Verifier.Verify((byte[])[.. report, .. table], new VerificationOptions { Roots = TrustAnchors.Custom([snp.Chain.Ark]) });
        var builtIn = Verifier.Verify((byte[])[.. report, .. table], new VerificationOptions());
        var alone = Verifier.Verify(report, new VerificationOptions { Roots = TrustAnchors.Custom([snp.Chain.Ark]) });

        Assert.True(withRoot.Verified, withRoot.ToString());
        Assert.Equal(AttestationFailureReason.BrokenChain, builtIn.Failure?.Reason);
        Assert.Equal(AttestationFailureReason.CollateralMismatch, alone.Failure?.Reason);
    }

    [Fact]
    public void A_damaged_table_is_malformed()
    {
        using var snp = new FakeSnpPlatform();
        var (report, table) = snp.Report(new byte[64]);
        var options = new VerificationOptions { Roots = TrustAnchors.Custom([snp.Chain.Ark]) };
        var outOfRange = (byte[])table.Clone();
        BinaryPrimitives.WriteUInt32LittleEndian(outOfRange.AsSpan(20), 1_000_000);

        var unterminated = Verifier.Verify((byte[])[.. report, .. table.AsSpan(0, 20)], options);
        var pointing = Verifier.Verify((byte[])[.. report, .. outOfRange], options);

        Assert.Equal(AttestationFailureReason.Malformed, unterminated.Failure?.Reason);
        Assert.Contains("without its all-zero closing entry", unterminated.Failure!.Message, StringComparison.Ordinal);
        Assert.Equal(AttestationFailureReason.Malformed, pointing.Failure?.Reason);
    }

    [Fact]
    public void Zero_bytes_after_a_report_are_not_a_table()
    {
        var e = Assert.Throws<AttestationException>(() => SnpCertificateTable.Read(new byte[48]));

        Assert.Equal(AttestationFailureReason.Malformed, e.Reason);
        Assert.StartsWith("the bytes after the SEV-SNP report are not a certificate table with a VCEK", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_table_with_a_VLEK_is_unsupported()
    {
        var table = new byte[48 + 4];
        new Guid("a8074bc2-a25a-483e-aae6-39c045a0b8a1").TryWriteBytes(table, bigEndian: true, out _);
        BinaryPrimitives.WriteUInt32LittleEndian(table.AsSpan(16), 48);
        BinaryPrimitives.WriteUInt32LittleEndian(table.AsSpan(20), 4);

        var e = Assert.Throws<AttestationException>(() => SnpCertificateTable.Read(table));

        Assert.Equal(AttestationFailureReason.UnsupportedVersion, e.Reason);
    }

    [Fact]
    public void Mixed_endian_GUIDs_are_read_too()
    {
        using var snp = new FakeSnpPlatform();
        var (_, table) = snp.Report(new byte[64]);
        for (var i = 0; i < 3; i++)
        {
            var guid = new Guid(table.AsSpan(24 * i, 16), bigEndian: true);
            guid.TryWriteBytes(table.AsSpan(24 * i, 16), bigEndian: false, out _);
        }

        var (vcek, ask) = SnpCertificateTable.Read(table);

        Assert.Equal(snp.Chain.Vcek.RawData, vcek.RawData);
        Assert.Equal(snp.Chain.Ask.RawData, ask!.RawData);
    }
}
