using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Carapace.Attestation.Snp;

namespace Carapace.Attestation.Tests.Snp;

public sealed class SnpReportVerifierTests
{
    private static readonly SnpReportVerifier _verifier = new();

    [Fact]
    public void The_Milan_vector_verifies_with_its_claims()
    {
        var result = _verifier.Verify(SnpTestData.Report, SnpTestData.Options());

        Assert.True(result.Verified, result.ToString());
        Assert.Equal(EvidenceKind.SevSnp, result.Kind);
        Assert.Equal(SnpTestData.Measurement, Convert.ToHexStringLower(result.Measurement.Span));
        Assert.Equal(SnpTestData.ReportData, Convert.ToHexStringLower(result.ReportData.Span));
        Assert.Equal(0u, result.SecurityVersion);
        Assert.True(result.Debug); // policy 0xB0000 sets bit 19
        Assert.False(result.Insecure);
        Assert.Equal(TcbStatus.Unknown, result.TcbStatus);
        Assert.Equal(Vectors.Utc("2022-09-24T00:55:28Z"), result.ValidFrom);
        Assert.Equal(Vectors.Utc("2029-09-24T00:55:28Z"), result.ValidUntil);

        var claims = result.Claims.ToDictionary(c => c.Name);
        Assert.Equal("Milan", claims["product"].Text);
        Assert.Equal(2UL, claims["version"].Number);
        Assert.Equal(0xB0000UL, claims["policy"].Number);
        Assert.Equal(1UL, claims["debug"].Number);
        Assert.Equal(0UL, claims["vmpl"].Number);
        Assert.Equal(0UL, claims["guestSvn"].Number);
        Assert.Equal(SnpTestData.Measurement, claims["measurement"].Display);
        Assert.Equal(SnpTestData.ChipId, claims["chipId"].Display);
        Assert.Equal("0200000000000544", claims["reportedTcb"].Display);
        Assert.Equal(new string('0', 64), claims["hostData"].Display);
        Assert.Equal(new string('0', 96), claims["idKeyDigest"].Display);
        Assert.Equal(new string('0', 96), claims["authorKeyDigest"].Display);
        Assert.Equal(new string('0', 32), claims["familyId"].Display);
        Assert.Equal(new string('0', 32), claims["imageId"].Display);
    }

    [Fact]
    public void The_built_in_ASK_is_used_when_only_the_VCEK_is_given()
    {
        var options = new VerificationOptions { At = SnpTestData.ValidAt, SnpCollateral = new SnpCollateral(SnpTestData.Vcek) };

        var result = _verifier.Verify(SnpTestData.Report, options);

        Assert.True(result.Verified, result.ToString());
    }

    [Fact]
    public void A_report_given_as_hex_text_verifies()
    {
        var text = Encoding.ASCII.GetBytes(Convert.ToHexStringLower(SnpTestData.Report) + "\n");

        Assert.True(_verifier.Verify(text, SnpTestData.Options()).Verified);
    }

    [Fact]
    public void Verify_fails_as_expired_after_the_VCEK_expires()
    {
        var result = _verifier.Verify(SnpTestData.Report, SnpTestData.Options(Vectors.Utc("2030-01-01T00:00:00Z")));

        Assert.Equal(AttestationFailureReason.Expired, result.Failure?.Reason);
        Assert.Contains("SEV-VCEK", result.Failure!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_fails_as_not_yet_valid_before_the_VCEK_was_issued()
    {
        var result = _verifier.Verify(SnpTestData.Report, SnpTestData.Options(Vectors.Utc("2020-01-01T00:00:00Z")));

        Assert.Equal(AttestationFailureReason.NotYetValid, result.Failure?.Reason);
    }

    [Fact]
    public void Verify_without_a_VCEK_asks_for_one()
    {
        var result = _verifier.Verify(SnpTestData.Report, new VerificationOptions { At = SnpTestData.ValidAt });

        Assert.Equal(AttestationFailureReason.CollateralMismatch, result.Failure?.Reason);
        Assert.Equal("an SEV-SNP report needs the VCEK certificate (--collateral VCEK.der|pem)", result.Failure!.Message);
    }

    [Fact]
    public void Verify_rejects_a_report_signed_by_another_key()
    {
        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        var forged = FakeAmdChain.SignWith(other, SnpTestData.Report);

        var result = _verifier.Verify(forged, SnpTestData.Options());

        Assert.Equal(AttestationFailureReason.BadSignature, result.Failure?.Reason);
    }

    [Fact]
    public void Verify_rejects_a_VCEK_for_another_chip()
    {
        var bytes = SnpTestData.Report;
        bytes[0x1A0] ^= 0x01;

        var result = _verifier.Verify(bytes, SnpTestData.Options());

        Assert.Equal(AttestationFailureReason.CollateralMismatch, result.Failure?.Reason);
        Assert.Contains("CHIP_ID", result.Failure!.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0x180)] // boot loader
    [InlineData(0x181)] // TEE
    [InlineData(0x186)] // SNP
    [InlineData(0x187)] // microcode
    public void Verify_rejects_a_VCEK_for_another_TCB(int offset)
    {
        var bytes = SnpTestData.Report;
        bytes[offset] ^= 0x01;

        var result = _verifier.Verify(bytes, SnpTestData.Options());

        Assert.Equal(AttestationFailureReason.CollateralMismatch, result.Failure?.Reason);
        Assert.Contains("REPORTED_TCB", result.Failure!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_rejects_a_VLEK_signed_report_as_unsupported()
    {
        var bytes = SnpTestData.Report;
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(0x48), 1u << 2);

        var result = _verifier.Verify(bytes, SnpTestData.Options());

        Assert.Equal(AttestationFailureReason.UnsupportedVersion, result.Failure?.Reason);
        Assert.Contains("VLEK", result.Failure!.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(7u << 2)] // SIGNING_KEY = none
    [InlineData(1u << 1)] // MASK_CHIP_KEY
    public void Verify_rejects_a_report_the_firmware_did_not_sign(uint signerInfo)
    {
        var bytes = SnpTestData.Report;
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(0x48), signerInfo);

        Assert.Equal(AttestationFailureReason.BadSignature, _verifier.Verify(bytes, SnpTestData.Options()).Failure?.Reason);
    }

    [Fact]
    public void Verify_rejects_a_certificate_that_is_not_a_VCEK()
    {
        var ask = SnpTestData.AskArk()[0];
        var options = new VerificationOptions { At = SnpTestData.ValidAt, SnpCollateral = new SnpCollateral(ask) };

        var result = _verifier.Verify(SnpTestData.Report, options);

        Assert.Equal(AttestationFailureReason.CollateralMismatch, result.Failure?.Reason);
        Assert.Contains("SEV-Milan", result.Failure!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_rejects_a_VCEK_whose_AMD_signature_is_broken()
    {
        var der = SnpTestData.Vcek.RawData;
        der[^10] ^= 0x01; // inside the ASK's RSA-PSS signature; the VCEK's key and extensions are untouched
        using var broken = X509CertificateLoader.LoadCertificate(der);
        var options = new VerificationOptions { At = SnpTestData.ValidAt, SnpCollateral = new SnpCollateral(broken, SnpTestData.AskArk()) };

        var result = _verifier.Verify(SnpTestData.Report, options);

        Assert.Equal(AttestationFailureReason.BrokenChain, result.Failure?.Reason);
    }

    [Fact]
    public void Verify_rejects_a_chain_to_a_root_that_is_not_trusted()
    {
        var options = new VerificationOptions
        {
            At = SnpTestData.ValidAt,
            Roots = TrustAnchors.Custom([.. TrustAnchors.BuiltIn.Nitro]),
            SnpCollateral = new SnpCollateral(SnpTestData.Vcek, SnpTestData.AskArk()),
        };

        Assert.Equal(AttestationFailureReason.BrokenChain, _verifier.Verify(SnpTestData.Report, options).Failure?.Reason);
    }

    [Fact]
    public void A_supplied_self_signed_ARK_is_never_trusted()
    {
        using var fake = new FakeAmdChain("Milan", Convert.FromHexString(SnpTestData.ChipId), new SnpTcbVersion(0x4405000000000002));
        var report = fake.Sign(SnpTestData.Report);
        var options = new VerificationOptions
        {
            At = SnpTestData.ValidAt,
            SnpCollateral = new SnpCollateral(fake.Vcek, [fake.Ask, fake.Ark]),
        };

        var result = _verifier.Verify(report, options);

        Assert.Equal(AttestationFailureReason.BrokenChain, result.Failure?.Reason);
    }

    [Fact]
    public void Verify_rejects_other_report_data_than_expected()
    {
        var options = new VerificationOptions
        {
            At = SnpTestData.ValidAt,
            SnpCollateral = new SnpCollateral(SnpTestData.Vcek),
            ExpectedReportData = new byte[64],
        };

        Assert.Equal(AttestationFailureReason.ReportDataMismatch, _verifier.Verify(SnpTestData.Report, options).Failure?.Reason);
    }

    [Fact]
    public void Verify_accepts_the_expected_report_data()
    {
        var options = new VerificationOptions
        {
            At = SnpTestData.ValidAt,
            SnpCollateral = new SnpCollateral(SnpTestData.Vcek),
            ExpectedReportData = Convert.FromHexString(SnpTestData.ReportData),
        };

        Assert.True(_verifier.Verify(SnpTestData.Report, options).Verified);
    }

    [Theory]
    [InlineData(3u, "Milan")]
    [InlineData(5u, "Genoa")]
    public void Reports_of_versions_3_and_5_verify_end_to_end(uint version, string product)
    {
        var chipId = RandomNumberGenerator.GetBytes(64);
        var tcb = new SnpTcbVersion(0x1503000000000007);
        using var chain = new FakeAmdChain(product, chipId, tcb);
        var report = new byte[SnpReport.Size];
        BinaryPrimitives.WriteUInt32LittleEndian(report, version);
        BinaryPrimitives.WriteUInt32LittleEndian(report.AsSpan(0x04), 9); // guest SVN
        BinaryPrimitives.WriteUInt64LittleEndian(report.AsSpan(0x08), 0x30000); // policy without DEBUG
        BinaryPrimitives.WriteUInt32LittleEndian(report.AsSpan(0x34), 1);
        BinaryPrimitives.WriteUInt64LittleEndian(report.AsSpan(0x180), tcb.Raw);
        report[0x188] = 0x19;
        chipId.CopyTo(report, 0x1A0);
        if (version == 5)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(report.AsSpan(0x1F8), 0x5);
        }

        var result = _verifier.Verify(chain.Sign(report), chain.Options());

        Assert.True(result.Verified, result.ToString());
        Assert.False(result.Debug);
        Assert.Equal(9u, result.SecurityVersion);
        var claims = result.Claims.ToDictionary(c => c.Name);
        Assert.Equal(product, claims["product"].Text);
        Assert.Equal(0x19UL, claims["cpuidFamId"].Number);
        Assert.Equal(version == 5, claims.ContainsKey("launchMitVector"));
    }

    [Fact]
    public void A_VCEK_from_a_processor_line_without_a_known_layout_is_unsupported()
    {
        var chipId = Convert.FromHexString(SnpTestData.ChipId);
        using var chain = new FakeAmdChain("Turin", chipId, new SnpTcbVersion(0x4405000000000002));

        var result = _verifier.Verify(chain.Sign(SnpTestData.Report), chain.Options());

        Assert.Equal(AttestationFailureReason.UnsupportedVersion, result.Failure?.Reason);
        Assert.Contains("SEV-Turin", result.Failure!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_built_in_Genoa_ASK_chains_to_the_pinned_Genoa_ARK()
    {
        var genoaArk = TrustAnchors.BuiltIn.Amd.Cast<X509Certificate2>().Single(c => c.Subject.Contains("CN=ARK-Genoa", StringComparison.Ordinal));
        var genoaAsk = AmdSigningKeys.BuiltIn.Single(c => c.Subject.Contains("CN=SEV-Genoa", StringComparison.Ordinal));

        var chain = CertificateChains.Verify(genoaAsk, [], TrustAnchors.BuiltIn.Amd, SnpTestData.ValidAt, "AMD ASK");

        Assert.Equal("4c6598d19c18719c5dfd4a7d335f674e5bfe1d8f800cea2cf270c10d103db2f1", TrustAnchors.Fingerprint(genoaArk));
        Assert.Equal(genoaArk.RawData, chain.Certificates[^1].RawData);
    }

    [Fact]
    public void The_built_in_Milan_ASK_is_the_one_AMD_KDS_serves()
    {
        var milanAsk = AmdSigningKeys.BuiltIn.Single(c => c.Subject.Contains("CN=SEV-Milan", StringComparison.Ordinal));

        Assert.Equal(SnpTestData.AskArk()[0].RawData, milanAsk.RawData);
    }
}
