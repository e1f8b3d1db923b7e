using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Carapace.Attestation.RaTls;

namespace Carapace.Attestation.Tests.RaTls;

/// <summary>RA-TLS certificates built in the test, to cover each binding rule and each format.</summary>
public sealed class RaTlsBuiltCertificateTests : IDisposable
{
    private static readonly DateTimeOffset _now = Vectors.Utc("2025-01-01T00:00:00Z");

    private readonly ECDsa _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly ECDsa _otherKey = ECDsa.Create(ECCurve.NamedCurves.nistP384);

    public void Dispose()
    {
        _key.Dispose();
        _otherKey.Dispose();
    }

    private static AttestationResult Verify(byte[] certificate, FakeQuoteVerifier? sgx = null)
    {
        var verifier = sgx is null ? RaTlsTestKit.Verifier().Verifier : new RaTlsVerifier(new EvidenceVerifiers([sgx]));
        return verifier.Verify(certificate, RaTlsTestKit.At(_now));
    }

    [Fact]
    public void A_CCC_certificate_whose_claims_bind_its_key_verifies_and_reports_the_nonce()
    {
        var certificate = RaTlsTestKit.CccCertificate(_key, nonce: [1, 2, 3]);

        var result = Verify(certificate);

        Assert.True(result.Verified, result.ToString());
        Assert.Equal(_key.ExportSubjectPublicKeyInfo(), result.PublicKey.ToArray());
        Assert.Equal(RaTlsTestKit.SpkiOf(certificate), result.PublicKey.ToArray());
        Assert.Equal(RaTlsTestKit.Mrenclave, result.Measurement.ToArray());
        Assert.Equal("010203", result.Claims.Single(c => c.Name == "nonce").Display);
    }

    [Fact]
    public void Verify_rejects_a_flip_of_every_byte_of_a_built_certificate()
    {
        var certificate = RaTlsTestKit.CccCertificate(_key, nonce: [9, 9]);
        var (verifier, _, _) = RaTlsTestKit.Verifier();
        var options = RaTlsTestKit.At(_now);
        Assert.True(verifier.Verify(certificate, options).Verified);

        for (var i = 0; i < certificate.Length; i++)
        {
            var tampered = (byte[])certificate.Clone();
            tampered[i] ^= 0x20;
            Assert.False(verifier.Verify(tampered, options).Verified, $"flipping byte {i} was not detected");
        }
    }

    [Theory]
    [InlineData(7UL)]
    [InlineData(8UL)]
    public void A_pubkey_hash_with_SHA384_or_SHA512_verifies(ulong algorithm) =>
        Assert.True(Verify(RaTlsTestKit.CccCertificate(_key, algorithm: algorithm)).Verified);

    [Fact]
    public void A_pubkey_hash_with_an_unknown_algorithm_is_unsupported()
    {
        var claims = RaTlsTestKit.Claims(_key.ExportSubjectPublicKeyInfo(), algorithm: 99);
        var reportData = new byte[64];
        SHA256.HashData(claims, reportData);
        var certificate = RaTlsTestKit.SelfSigned(_key, [RaTlsTestKit.TaggedExtension(RaTlsTestKit.Tagged(RaTlsTestKit.SgxQuote(reportData), claims))]);

        Assert.Equal(AttestationFailureReason.UnsupportedVersion, Verify(certificate).Failure?.Reason);
    }

    [Fact]
    public void A_pubkey_hash_given_as_a_bare_CBOR_array_is_accepted()
    {
        var claims = RaTlsTestKit.Claims(_key.ExportSubjectPublicKeyInfo(), wrapped: false);
        var reportData = new byte[64];
        SHA256.HashData(claims, reportData);
        var certificate = RaTlsTestKit.SelfSigned(_key, [RaTlsTestKit.TaggedExtension(RaTlsTestKit.Tagged(RaTlsTestKit.SgxQuote(reportData), claims))]);

        Assert.True(Verify(certificate).Verified);
    }

    [Fact]
    public void Claims_that_vouch_for_another_key_are_a_report_data_mismatch()
    {
        // The enclave attested claims for a different key; the certificate carries our key.
        var claims = RaTlsTestKit.Claims(_otherKey.ExportSubjectPublicKeyInfo());
        var reportData = new byte[64];
        SHA256.HashData(claims, reportData);
        var certificate = RaTlsTestKit.SelfSigned(_key, [RaTlsTestKit.TaggedExtension(RaTlsTestKit.Tagged(RaTlsTestKit.SgxQuote(reportData), claims))]);

        var result = Verify(certificate);

        Assert.Equal(AttestationFailureReason.ReportDataMismatch, result.Failure?.Reason);
        Assert.Contains("pubkey-hash", result.Failure!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Claims_changed_after_the_quote_was_made_are_a_report_data_mismatch()
    {
        var attested = RaTlsTestKit.Claims(_key.ExportSubjectPublicKeyInfo(), nonce: [1]);
        var reportData = new byte[64];
        SHA256.HashData(attested, reportData);
        var substituted = RaTlsTestKit.Claims(_key.ExportSubjectPublicKeyInfo(), nonce: [2]);
        var certificate = RaTlsTestKit.SelfSigned(_key, [RaTlsTestKit.TaggedExtension(RaTlsTestKit.Tagged(RaTlsTestKit.SgxQuote(reportData), substituted))]);

        var result = Verify(certificate);

        Assert.Equal(AttestationFailureReason.ReportDataMismatch, result.Failure?.Reason);
        Assert.Contains("claims buffer", result.Failure!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_quote_moved_into_a_certificate_for_another_key_is_a_report_data_mismatch()
    {
        // An attacker copies a genuine enclave's evidence extension into a certificate for a key it holds.
        var genuine = RaTlsCertificate.Parse(RaTlsTestKit.CccCertificate(_key));
        var stolen = RaTlsTestKit.Tagged(genuine.Evidence[0].Evidence.ToArray(), genuine.Evidence[0].ClaimsBuffer.ToArray());
        var certificate = RaTlsTestKit.SelfSigned(_otherKey, [RaTlsTestKit.TaggedExtension(stolen)]);

        Assert.Equal(AttestationFailureReason.ReportDataMismatch, Verify(certificate).Failure?.Reason);
    }

    [Fact]
    public void A_Gramine_legacy_certificate_binds_the_hash_of_its_public_key()
    {
        var reportData = new byte[64];
        SHA256.HashData(_key.ExportSubjectPublicKeyInfo(), reportData);
        var certificate = RaTlsTestKit.SelfSigned(_key, [RaTlsTestKit.LegacyExtension(RaTlsTestKit.SgxQuote(reportData))]);

        var result = Verify(certificate);

        Assert.True(result.Verified, result.ToString());
        Assert.Equal("gramine-legacy", result.Claims.Single(c => c.Name == "format").Text);
        Assert.Equal("1.2.840.113741.1337.6", result.Claims.Single(c => c.Name == "extension").Text);
    }

    [Fact]
    public void A_Gramine_legacy_quote_for_another_key_is_a_report_data_mismatch()
    {
        var reportData = new byte[64];
        SHA256.HashData(_otherKey.ExportSubjectPublicKeyInfo(), reportData);
        var certificate = RaTlsTestKit.SelfSigned(_key, [RaTlsTestKit.LegacyExtension(RaTlsTestKit.SgxQuote(reportData))]);

        Assert.Equal(AttestationFailureReason.ReportDataMismatch, Verify(certificate).Failure?.Reason);
    }

    [Fact]
    public void A_TDX_quote_is_verified_by_the_TDX_verifier()
    {
        var (verifier, sgx, tdx) = RaTlsTestKit.Verifier();
        var certificate = RaTlsTestKit.CccCertificate(_key, quoteFor: rd => RaTlsTestKit.TdxQuote(rd));

        var result = verifier.Verify(certificate, RaTlsTestKit.At(_now));

        Assert.True(result.Verified, result.ToString());
        Assert.Equal(EvidenceKind.Tdx, result.Inner!.Kind);
        Assert.Single(tdx.Seen);
        Assert.Empty(sgx.Seen);
    }

    [Fact]
    public void A_quote_of_an_unknown_version_is_unsupported()
    {
        var certificate = RaTlsTestKit.CccCertificate(_key, quoteFor: rd =>
        {
            var quote = RaTlsTestKit.SgxQuote(rd);
            quote[0] = 9;
            return quote;
        });

        Assert.Equal(AttestationFailureReason.UnsupportedVersion, Verify(certificate).Failure?.Reason);
    }

    [Theory]
    [InlineData("1.3.6.1.4.1.311.105.1")]
    [InlineData("1.2.840.113556.10.1.1")]
    public void Open_Enclave_evidence_is_recognised_and_unsupported(string oid)
    {
        var certificate = RaTlsTestKit.SelfSigned(_key, [new X509Extension(oid, RaTlsTestKit.SgxQuote(new byte[64]), false)]);

        var result = Verify(certificate);

        Assert.Equal(AttestationFailureReason.UnsupportedVersion, result.Failure?.Reason);
        Assert.Contains("Open Enclave", result.Failure!.Message, StringComparison.Ordinal);
        Assert.Equal(RaTlsEvidenceFormat.OpenEnclave, Assert.Single(RaTlsCertificate.Parse(certificate).Evidence).Format);
    }

    [Theory]
    [InlineData(60001UL)]
    [InlineData(60002UL)]
    [InlineData(12345UL)]
    public void Tagged_evidence_other_than_a_quote_is_unsupported(ulong tag)
    {
        var certificate = RaTlsTestKit.SelfSigned(_key,
            [RaTlsTestKit.TaggedExtension(RaTlsTestKit.Tagged(RaTlsTestKit.SgxQuote(new byte[64]), RaTlsTestKit.Claims(_key.ExportSubjectPublicKeyInfo()), tag))]);

        Assert.Equal(AttestationFailureReason.UnsupportedVersion, Verify(certificate).Failure?.Reason);
    }

    [Fact]
    public void Tagged_evidence_that_is_not_the_documented_CBOR_is_malformed()
    {
        var certificate = RaTlsTestKit.SelfSigned(_key, [RaTlsTestKit.TaggedExtension([0xD9, 0xEA, 0x60, 0x83, 0x40, 0x40, 0x40])]);

        Assert.Equal(AttestationFailureReason.Malformed, Verify(certificate).Failure?.Reason);
    }

    [Fact]
    public void A_claims_buffer_without_pubkey_hash_is_malformed()
    {
        var certificate = RaTlsTestKit.SelfSigned(_key,
            [RaTlsTestKit.TaggedExtension(RaTlsTestKit.Tagged(RaTlsTestKit.SgxQuote(new byte[64]), [0xA1, 0x65, .. "nonce"u8, 0x41, 0x01]))]);

        var result = Verify(certificate);

        Assert.Equal(AttestationFailureReason.Malformed, result.Failure?.Reason);
        Assert.Contains("pubkey-hash", result.Failure!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_certificate_without_evidence_is_not_an_RA_TLS_certificate()
    {
        var result = Verify(RaTlsTestKit.SelfSigned(_key, []));

        Assert.Equal(AttestationFailureReason.Malformed, result.Failure?.Reason);
        Assert.Contains("no attestation evidence", result.Failure!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_certificate_signed_by_another_key_is_refused()
    {
        var claims = RaTlsTestKit.Claims(_key.ExportSubjectPublicKeyInfo());
        var reportData = new byte[64];
        SHA256.HashData(claims, reportData);
        var request = new CertificateRequest("CN=RATLS leaf", _key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(RaTlsTestKit.TaggedExtension(RaTlsTestKit.Tagged(RaTlsTestKit.SgxQuote(reportData), claims)));
        using var leaf = request.Create(new X500DistinguishedName("CN=Some CA"), X509SignatureGenerator.CreateForECDsa(_otherKey), _now.AddDays(-1), _now.AddDays(1), [1, 2, 3]);

        var result = Verify(leaf.RawData);

        Assert.Equal(AttestationFailureReason.UnsupportedVersion, result.Failure?.Reason);
        Assert.Contains("not self-signed", result.Failure!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_RSA_self_signed_certificate_verifies()
    {
        using var rsa = RSA.Create(2048);
        var reportData = new byte[64];
        SHA256.HashData(rsa.ExportSubjectPublicKeyInfo(), reportData);
        var request = new CertificateRequest("CN=RATLS rsa", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(RaTlsTestKit.LegacyExtension(RaTlsTestKit.SgxQuote(reportData)));
        using var certificate = request.CreateSelfSigned(_now.AddDays(-1), _now.AddDays(1));

        Assert.True(Verify(certificate.RawData).Verified);
    }

    [Fact]
    public void An_unknown_critical_extension_is_refused()
    {
        var claims = RaTlsTestKit.Claims(_key.ExportSubjectPublicKeyInfo());
        var reportData = new byte[64];
        SHA256.HashData(claims, reportData);
        var certificate = RaTlsTestKit.SelfSigned(_key,
            [RaTlsTestKit.TaggedExtension(RaTlsTestKit.Tagged(RaTlsTestKit.SgxQuote(reportData), claims)), new X509Extension("1.2.3.4.5", [0x05, 0x00], critical: true)]);

        Assert.Equal(AttestationFailureReason.UnsupportedVersion, Verify(certificate).Failure?.Reason);
    }

    [Fact]
    public void The_result_is_valid_only_while_both_the_certificate_and_the_quote_are()
    {
        var sgx = new FakeQuoteVerifier(EvidenceKind.Sgx) { ValidFrom = Vectors.Utc("2024-06-01T00:00:00Z"), ValidUntil = Vectors.Utc("2035-01-01T00:00:00Z") };

        var result = Verify(RaTlsTestKit.CccCertificate(_key), sgx);

        Assert.Equal(Vectors.Utc("2024-06-01T00:00:00Z"), result.ValidFrom);
        Assert.Equal(Vectors.Utc("2030-01-01T00:00:00Z"), result.ValidUntil);
    }

    [Fact]
    public void The_quote_verifier_sees_the_verification_time_and_no_expected_report_data()
    {
        var seen = new OptionsSpy();
        var verifier = new RaTlsVerifier(new EvidenceVerifiers([seen]));
        var certificate = RaTlsTestKit.CccCertificate(_key);
        var expected = FakeQuoteVerifier.SgxReportData(RaTlsCertificate.Parse(certificate).Evidence[0].Evidence.Span);

        var result = verifier.Verify(certificate, new VerificationOptions { At = _now, ExpectedReportData = expected });

        Assert.True(result.Verified, result.ToString());
        Assert.Equal(_now, seen.Options!.At);
        Assert.Null(seen.Options.ExpectedReportData);
    }

    private sealed class OptionsSpy : IEvidenceVerifier
    {
        private readonly FakeQuoteVerifier _inner = new(EvidenceKind.Sgx);

        public VerificationOptions? Options { get; private set; }

        public EvidenceKind Kind => EvidenceKind.Sgx;

        public AttestationResult Verify(ReadOnlyMemory<byte> evidence, VerificationOptions options)
        {
            Options = options;
            return _inner.Verify(evidence, options);
        }
    }
}
