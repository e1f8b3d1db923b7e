namespace Carapace.Attestation.Tests;

/// <summary>
/// The registry KMS clients (enclaves included) verify a KMS with: RA-TLS over TDX, SEV-SNP or simulation evidence,
/// the backends a KMS runs on, and nothing else — so the enclave's binary carries no SGX or Nitro verifier.
/// </summary>
public sealed class ServiceVerifiersTests
{
    private static readonly EvidenceVerifiers Verifiers = EvidenceVerifiers.CreateForServices();

    [Fact]
    public void Only_ra_tls_is_accepted_at_the_top()
    {
        Assert.Equal([EvidenceKind.RaTls], Verifiers.Kinds);

        var tdx = Verifiers.Verify(EvidenceKind.Tdx, Vectors.Bytes("tdx/gotdx_tdx_quote_v4_SPR_E4.bin"), new VerificationOptions { At = Vectors.Utc("2023-07-01T01:00:00Z") });

        Assert.Equal(AttestationFailureReason.UnsupportedVersion, tdx.Failure!.Reason);
    }

    [Fact]
    public void An_ra_tls_certificate_carrying_an_sgx_quote_is_refused_though_the_full_registry_verifies_it()
    {
        var certificate = Vectors.Bytes("ratls/ccc_gramine_ratls_cert.pem");
        var options = new VerificationOptions { At = Vectors.Utc("2024-01-15T00:00:00Z") };
        Assert.True(EvidenceVerifiers.CreateDefault().VerifyAuto(certificate, options).Verified);

        var result = Verifiers.VerifyAuto(certificate, options);

        Assert.False(result.Verified);
        Assert.NotNull(result.Failure);
    }
}
