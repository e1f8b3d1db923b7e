using Carapace.Attestation.Simulation;

namespace Carapace.Attestation.Tests;

/// <summary>The full registry on every public vector, with formats detected from the bytes alone.</summary>
public sealed class DefaultVerifiersTests
{
    private static readonly EvidenceVerifiers Verifiers = EvidenceVerifiers.CreateDefault();

    [Fact]
    public void The_gramine_ra_tls_certificate_verifies_end_to_end_with_its_real_sgx_quote()
    {
        var result = Verifiers.VerifyAuto(Vectors.Bytes("ratls/ccc_gramine_ratls_cert.pem"), new VerificationOptions { At = Vectors.Utc("2024-01-15T00:00:00Z") });

        Assert.True(result.Verified, result.ToString());
        Assert.Equal(EvidenceKind.RaTls, result.Kind);
        Assert.Equal("0866e7ca11b9f4efe4bf39b2607f4e1299f111920d96d95719080f01b62b7585", Convert.ToHexStringLower(result.Measurement.Span));
        Assert.True(result.Debug, "the enclave behind this certificate is a debug enclave");
        Assert.Equal(EvidenceKind.Sgx, result.Inner!.Kind);
        Assert.Equal("d8673446fe0f6842d4af0d182c8751d7e967039116deff5f85a43b2ca90c2831", Convert.ToHexStringLower(result.Inner.ReportData.Span[..32]));
    }

    [Theory]
    [InlineData("sgx/phala_sgx_quote_v3.bin", "2025-07-01T00:00:00Z", EvidenceKind.Sgx)]
    [InlineData("tdx/gotdx_tdx_quote_v4_SPR_E4.bin", "2023-07-01T01:00:00Z", EvidenceKind.Tdx)]
    [InlineData("nitro/evervault_nitro_doc_2022-10-13.cbor", "2022-10-13T09:30:00Z", EvidenceKind.Nitro)]
    public void Each_vector_is_recognised_and_verifies_at_its_documented_time(string file, string at, EvidenceKind kind)
    {
        var result = Verifiers.VerifyAuto(Vectors.Bytes(file), new VerificationOptions { At = Vectors.Utc(at) });

        Assert.True(result.Verified, result.ToString());
        Assert.Equal(kind, result.Kind);
    }

    [Fact]
    public void The_snp_report_is_recognised_and_verifies_with_its_vcek()
    {
        var options = new VerificationOptions
        {
            At = Vectors.Utc("2024-01-15T00:00:00Z"),
            SnpCollateral = new SnpCollateral(System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificate(Vectors.Bytes("snp/gosev_vcek_milan.der"))),
        };

        var result = Verifiers.VerifyAuto(Vectors.Bytes("snp/gosev_snp_report_milan.bin"), options);

        Assert.True(result.Verified, result.ToString());
        Assert.Equal(EvidenceKind.SevSnp, result.Kind);
    }

    [Fact]
    public async Task Simulation_evidence_verifies_only_with_its_quoting_key_and_is_marked_insecure()
    {
        using var quoting = SimulatedQuotingService.CreateEphemeral();
        var issuer = new SimulatedEvidenceIssuer(quoting, new byte[32]);
        var evidence = await issuer.IssueAsync(ReportData.Bind("key"u8, "nonce"u8));

        var denied = Verifiers.VerifyAuto(evidence.Bytes, new VerificationOptions());
        var accepted = Verifiers.VerifyAuto(evidence.Bytes, new VerificationOptions { SimulationQuotingKeys = [quoting.PublicKey] });

        Assert.Equal(AttestationFailureReason.PolicyDenied, denied.Failure!.Reason);
        Assert.True(accepted.Verified, accepted.ToString());
        Assert.True(accepted.Insecure);
    }

    [Fact]
    public void Unrecognised_bytes_are_rejected_with_the_unknown_kind()
    {
        var result = Verifiers.VerifyAuto("not evidence at all"u8.ToArray(), new VerificationOptions());

        Assert.Equal(EvidenceKind.Unknown, result.Kind);
        Assert.Equal(AttestationFailureReason.Malformed, result.Failure!.Reason);
        Assert.Contains("--kind", result.Failure.Message, StringComparison.Ordinal);
    }
}
