using System.Formats.Cbor;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Carapace.Attestation.RaTls;
using Carapace.Attestation.Simulation;

namespace Carapace.Attestation.Tests.RaTls;

/// <summary>RA-TLS certificates issued by Carapace (simulation evidence and SGX-shaped quotes), verified by the real verifiers.</summary>
public sealed class RaTlsCertificateFactoryTests : IDisposable
{
    private static readonly byte[] s_measurement = SHA256.HashData("carapace test enclave"u8);
    private static readonly byte[] s_nonce = SHA256.HashData("a verifier nonce"u8);

    private readonly SimulatedQuotingService _quoting = SimulatedQuotingService.CreateEphemeral();
    private readonly ECDsa _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    public void Dispose()
    {
        _quoting.Dispose();
        _key.Dispose();
    }

    private SimulatedEvidenceIssuer Issuer => new(_quoting, s_measurement);

    private VerificationOptions Trusting(params ReadOnlyMemory<byte>[] keys) => new() { SimulationQuotingKeys = keys };

    private Task<X509Certificate2> CreateAsync(ReadOnlyMemory<byte> nonce = default) =>
        RaTlsCertificateFactory.CreateAsync(_key, Issuer, nonce.IsEmpty ? s_nonce : nonce, "carapace test", TimeSpan.FromMinutes(10));

    private static AttestationResult Verify(byte[] der, VerificationOptions options) =>
        EvidenceVerifiers.CreateDefault().Verify(EvidenceKind.RaTls, der, options);

    [Fact]
    public async Task A_simulation_RA_TLS_certificate_verifies_with_its_quoting_key_trusted()
    {
        using var certificate = await CreateAsync();

        var result = Verify(certificate.RawData, Trusting(_quoting.PublicKey));

        Assert.True(result.Verified, result.ToString());
        Assert.True(result.Insecure);
        Assert.Equal(EvidenceKind.RaTls, result.Kind);
        Assert.Equal(EvidenceKind.Simulation, result.Inner!.Kind);
        Assert.Equal(s_measurement, result.Measurement.ToArray());
        Assert.Equal(_key.ExportSubjectPublicKeyInfo(), result.PublicKey.ToArray());
        Assert.Equal(s_nonce, result.Claims.Single(c => c.Name == "nonce").Bytes);
        Assert.Equal("tcg-dice-tagged-evidence", result.Claims.Single(c => c.Name == "format").Text);
    }

    [Fact]
    public async Task The_certificate_carries_its_private_key_and_the_binding_the_CCC_format_describes()
    {
        using var certificate = await CreateAsync();

        Assert.True(certificate.HasPrivateKey);
        Assert.Equal("CN=carapace test", certificate.Subject);
        var parsed = RaTlsCertificate.Parse(certificate.RawData);
        var evidence = Assert.Single(parsed.Evidence);
        Assert.Equal(EvidenceKind.Simulation, evidence.QuoteKind);
        Assert.Equal(s_nonce, evidence.Nonce.ToArray());
        Assert.Equal(RaTlsCertificateFactory.ClaimsBuffer(_key.ExportSubjectPublicKeyInfo(), s_nonce), evidence.ClaimsBuffer.ToArray());

        // The simulation evidence's report data is SHA-256(claims) followed by 32 zero bytes.
        var inner = Verify(certificate.RawData, Trusting(_quoting.PublicKey)).Inner!;
        var expected = new byte[64];
        SHA256.HashData(evidence.ClaimsBuffer.Span, expected);
        Assert.Equal(expected, inner.ReportData.ToArray());

        // Tag 60100 wraps [evidence, claims].
        var extension = certificate.Extensions["2.23.133.5.4.9"]!;
        var reader = new CborReader(extension.RawData);
        Assert.Equal((CborTag)RaTlsEvidence.SimulationEvidenceTag, reader.ReadTag());
    }

    [Fact]
    public async Task Simulation_evidence_in_a_certificate_is_refused_without_a_trusted_quoting_key()
    {
        using var certificate = await CreateAsync();
        using var other = SimulatedQuotingService.CreateEphemeral();

        var untrusted = Verify(certificate.RawData, Trusting(other.PublicKey));
        var none = Verify(certificate.RawData, new VerificationOptions());

        Assert.Equal(AttestationFailureReason.BrokenChain, untrusted.Failure?.Reason);
        Assert.Equal(AttestationFailureReason.PolicyDenied, none.Failure?.Reason);
        Assert.Contains("sim evidence in the RA-TLS certificate was rejected", none.Failure!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_certificate_whose_claims_name_another_key_is_rejected()
    {
        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var claims = RaTlsCertificateFactory.ClaimsBuffer(other.ExportSubjectPublicKeyInfo(), s_nonce);
        var evidence = await Issuer.IssueAsync(RaTlsCertificateFactory.ReportDataFor(claims));
        var der = RaTlsTestKit.SelfSigned(_key, [RaTlsCertificateFactory.EvidenceExtension(evidence, claims)], DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddMinutes(10));

        var result = Verify(der, Trusting(_quoting.PublicKey));

        Assert.Equal(AttestationFailureReason.ReportDataMismatch, result.Failure?.Reason);
        Assert.Contains("vouches for another key", result.Failure!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_tampered_nonce_claim_breaks_the_binding()
    {
        var claims = RaTlsCertificateFactory.ClaimsBuffer(_key.ExportSubjectPublicKeyInfo(), s_nonce);
        var evidence = await Issuer.IssueAsync(RaTlsCertificateFactory.ReportDataFor(claims));
        var tamperedNonce = (byte[])s_nonce.Clone();
        tamperedNonce[0] ^= 1;
        var swapped = RaTlsCertificateFactory.ClaimsBuffer(_key.ExportSubjectPublicKeyInfo(), tamperedNonce);
        var der = RaTlsTestKit.SelfSigned(_key, [RaTlsCertificateFactory.EvidenceExtension(evidence, swapped)], DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddMinutes(10));

        var result = Verify(der, Trusting(_quoting.PublicKey));

        Assert.Equal(AttestationFailureReason.ReportDataMismatch, result.Failure?.Reason);
    }

    [Fact]
    public async Task Every_flipped_byte_of_an_issued_certificate_is_detected()
    {
        using var certificate = await CreateAsync();
        var der = certificate.RawData;
        var options = Trusting(_quoting.PublicKey);
        Assert.True(Verify(der, options).Verified);

        for (var i = 0; i < der.Length; i++)
        {
            var tampered = (byte[])der.Clone();
            tampered[i] ^= 0x01;
            Assert.False(Verify(tampered, options).Verified, $"flipping byte {i} was not detected");
        }
    }

    [Fact]
    public async Task An_expired_certificate_is_rejected()
    {
        using var certificate = await CreateAsync();

        var result = Verify(certificate.RawData, new VerificationOptions { At = DateTimeOffset.UtcNow.AddHours(1), SimulationQuotingKeys = [_quoting.PublicKey] });

        Assert.Equal(AttestationFailureReason.Expired, result.Failure?.Reason);
    }

    [Fact]
    public async Task Without_a_nonce_the_claims_hold_only_the_key_hash()
    {
        using var certificate = await RaTlsCertificateFactory.CreateAsync(_key, Issuer, ReadOnlyMemory<byte>.Empty, "no nonce", TimeSpan.FromMinutes(1));

        var result = Verify(certificate.RawData, Trusting(_quoting.PublicKey));

        Assert.True(result.Verified, result.ToString());
        Assert.DoesNotContain(result.Claims, c => c.Name == "nonce");
    }

    [Fact]
    public async Task An_SGX_quote_issuer_gets_the_Intel_tag_and_its_quote_is_verified_by_the_quote_verifier()
    {
        var issuer = new QuoteShapedIssuer();
        using var certificate = await RaTlsCertificateFactory.CreateAsync(_key, issuer, s_nonce, "sgx", TimeSpan.FromMinutes(5));
        var (verifier, sgx, _) = RaTlsTestKit.Verifier();

        var result = verifier.Verify(certificate.RawData, new VerificationOptions());

        Assert.True(result.Verified, result.ToString());
        Assert.Single(sgx.Seen);
        Assert.Equal(RaTlsTestKit.Mrenclave, result.Measurement.ToArray());
    }

    [Fact]
    public async Task Bad_arguments_are_refused_before_any_evidence_is_issued()
    {
        using var p384 = ECDsa.Create(ECCurve.NamedCurves.nistP384);

        await Assert.ThrowsAsync<ArgumentException>(() => RaTlsCertificateFactory.CreateAsync(p384, Issuer, s_nonce, "x", TimeSpan.FromMinutes(1)));
        await Assert.ThrowsAsync<ArgumentException>(() => RaTlsCertificateFactory.CreateAsync(_key, Issuer, new byte[RaTlsCertificateFactory.MaxNonceBytes + 1], "x", TimeSpan.FromMinutes(1)));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => RaTlsCertificateFactory.CreateAsync(_key, Issuer, s_nonce, "x", TimeSpan.Zero));
        await Assert.ThrowsAsync<ArgumentException>(() => RaTlsCertificateFactory.CreateAsync(_key, new NitroKindIssuer(), s_nonce, "x", TimeSpan.FromMinutes(1)));
    }

    private sealed class QuoteShapedIssuer : IEvidenceIssuer
    {
        public EvidenceKind Kind => EvidenceKind.Sgx;

        public ValueTask<Evidence> IssueAsync(ReadOnlyMemory<byte> reportData, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(new Evidence(EvidenceKind.Sgx, RaTlsTestKit.SgxQuote(reportData.Span)));
    }

    private sealed class NitroKindIssuer : IEvidenceIssuer
    {
        public EvidenceKind Kind => EvidenceKind.Nitro;

        public ValueTask<Evidence> IssueAsync(ReadOnlyMemory<byte> reportData, CancellationToken cancellationToken = default) =>
            throw new InvalidOperationException("must not be asked");
    }
}
