using System.Security.Cryptography;
using System.Text;
using Carapace.Attestation.RaTls;

namespace Carapace.Attestation.Tests.RaTls;

/// <summary>The real Gramine RA-TLS certificate (TestData/ratls, see MANIFEST.md), with a fake quote verifier.</summary>
public sealed class RaTlsVectorTests
{
    private const string ExpectedReportData = "d8673446fe0f6842d4af0d182c8751d7e967039116deff5f85a43b2ca90c2831" + "0000000000000000000000000000000000000000000000000000000000000000";
    private const string ExpectedPublicKeyHash = "5a5a5b2d177433048e9d62409d1acc4ec526c06e294d09e69a36cff9369e4851";
    private const string ExpectedMrenclave = "0866e7ca11b9f4efe4bf39b2607f4e1299f111920d96d95719080f01b62b7585";

    [Fact]
    public void Parse_finds_the_CCC_and_the_Gramine_legacy_evidence_in_order_of_preference()
    {
        var certificate = RaTlsCertificate.Parse(RaTlsTestKit.Vector);

        Assert.Equal(2, certificate.Evidence.Count);
        var ccc = certificate.Evidence[0];
        var legacy = certificate.Evidence[1];
        Assert.Equal(RaTlsEvidenceFormat.TcgDiceTaggedEvidence, ccc.Format);
        Assert.Equal("2.23.133.5.4.9", ccc.Oid);
        Assert.Equal(4734, ccc.Evidence.Length);
        Assert.Equal(EvidenceKind.Sgx, ccc.QuoteKind);
        Assert.True(ccc.Nonce.IsEmpty);
        Assert.Equal(ExpectedReportData[..64], Convert.ToHexStringLower(SHA256.HashData(ccc.ClaimsBuffer.Span)));
        Assert.Equal(RaTlsEvidenceFormat.GramineLegacy, legacy.Format);
        Assert.Equal("0.6.9.42.840.113741.1337.6", legacy.Oid);
        Assert.Equal(4734, legacy.Evidence.Length);
        Assert.Equal(EvidenceKind.Sgx, legacy.QuoteKind);
        Assert.Null(ccc.Unsupported);
        Assert.Null(legacy.Unsupported);
    }

    [Fact]
    public void Parse_reads_the_certificate_fields()
    {
        var certificate = RaTlsCertificate.Parse(RaTlsTestKit.Vector);

        Assert.Equal(RaTlsTestKit.VectorDer, certificate.Der.ToArray());
        Assert.Equal(ExpectedPublicKeyHash, Convert.ToHexStringLower(SHA256.HashData(certificate.SubjectPublicKeyInfo.Span)));
        Assert.Equal(Vectors.Utc("2001-01-01T00:00:00Z"), certificate.NotBefore);
        Assert.Equal(Vectors.Utc("2030-12-31T23:59:59Z"), certificate.NotAfter);
        Assert.Contains("CN=RATLS", certificate.Subject, StringComparison.Ordinal);
        Assert.Equal(certificate.Subject, certificate.Issuer);
    }

    [Fact]
    public void The_self_signature_with_an_explicit_NULL_parameter_verifies()
    {
        RaTlsCertificate.Parse(RaTlsTestKit.Vector).VerifySignature();
    }

    [Fact]
    public void Both_evidence_extensions_bind_the_certificate_key_each_in_its_own_way()
    {
        var certificate = RaTlsCertificate.Parse(RaTlsTestKit.Vector);
        var spki = certificate.SubjectPublicKeyInfo.ToArray();
        var cccReportData = FakeQuoteVerifier.SgxReportData(certificate.Evidence[0].Evidence.Span);
        var legacyReportData = FakeQuoteVerifier.SgxReportData(certificate.Evidence[1].Evidence.Span);

        Assert.Equal(ExpectedReportData, Convert.ToHexStringLower(cccReportData));
        Assert.Equal(ExpectedPublicKeyHash, Convert.ToHexStringLower(legacyReportData.AsSpan(0, 32)));
        certificate.Evidence[0].CheckBinding(cccReportData, spki);
        certificate.Evidence[1].CheckBinding(legacyReportData, spki);
        Assert.Equal(AttestationFailureReason.ReportDataMismatch,
            Assert.Throws<AttestationException>(() => certificate.Evidence[0].CheckBinding(legacyReportData, spki)).Reason);
        Assert.Equal(AttestationFailureReason.ReportDataMismatch,
            Assert.Throws<AttestationException>(() => certificate.Evidence[1].CheckBinding(cccReportData, spki)).Reason);
    }

    [Fact]
    public void Verify_accepts_the_vector_at_its_documented_time_with_the_quote_claims()
    {
        var (verifier, sgx, _) = RaTlsTestKit.Verifier();
        sgx.ValidUntil = Vectors.Utc("2029-11-26T15:49:19Z");

        var result = verifier.Verify(RaTlsTestKit.Vector, RaTlsTestKit.At(RaTlsTestKit.VectorTime));

        Assert.True(result.Verified, result.ToString());
        Assert.Equal(EvidenceKind.RaTls, result.Kind);
        Assert.Equal(ExpectedReportData, Convert.ToHexStringLower(result.ReportData.Span));
        Assert.Equal(ExpectedMrenclave, Convert.ToHexStringLower(result.Measurement.Span));
        Assert.Equal(ExpectedPublicKeyHash, Convert.ToHexStringLower(SHA256.HashData(result.PublicKey.Span)));
        Assert.True(result.Debug, "the vector's enclave has the DEBUG attribute set");
        Assert.False(result.Insecure);
        Assert.Equal(EvidenceKind.Sgx, result.Inner!.Kind);
        Assert.Equal(Vectors.Utc("2001-01-01T00:00:00Z"), result.ValidFrom);
        Assert.Equal(Vectors.Utc("2029-11-26T15:49:19Z"), result.ValidUntil);
        Assert.Equal(RaTlsCertificate.Parse(RaTlsTestKit.Vector).Evidence[0].Evidence.ToArray(), Assert.Single(sgx.Seen));
        Assert.Equal("tcg-dice-tagged-evidence", result.Claims.Single(c => c.Name == "format").Text);
        Assert.Equal(ExpectedPublicKeyHash, result.Claims.Single(c => c.Name == "publicKeySha256").Display);
        Assert.Equal(ExpectedMrenclave, Assert.Single(result.Claims.Single(c => c.Name == "sgx").Items!).Display);
    }

    [Fact]
    public void Verify_accepts_the_vector_as_DER_too()
    {
        var (verifier, _, _) = RaTlsTestKit.Verifier();

        Assert.True(verifier.Verify(RaTlsTestKit.VectorDer, RaTlsTestKit.At(RaTlsTestKit.VectorTime)).Verified);
    }

    [Fact]
    public void Verify_checks_the_expected_report_data_against_the_quote()
    {
        var (verifier, _, _) = RaTlsTestKit.Verifier();
        var options = new VerificationOptions { At = RaTlsTestKit.VectorTime, ExpectedReportData = new byte[64] };

        Assert.Equal(AttestationFailureReason.ReportDataMismatch, verifier.Verify(RaTlsTestKit.Vector, options).Failure?.Reason);
    }

    [Fact]
    public void Verify_rejects_the_vector_after_the_certificate_expired()
    {
        var (verifier, _, _) = RaTlsTestKit.Verifier();

        var result = verifier.Verify(RaTlsTestKit.Vector, RaTlsTestKit.At(Vectors.Utc("2031-01-01T00:00:00Z")));

        Assert.Equal(AttestationFailureReason.Expired, result.Failure?.Reason);
        Assert.Contains("2030-12-31 23:59:59Z", result.Failure!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_rejects_the_vector_before_the_certificate_is_valid()
    {
        var (verifier, _, _) = RaTlsTestKit.Verifier();

        Assert.Equal(AttestationFailureReason.NotYetValid, verifier.Verify(RaTlsTestKit.Vector, RaTlsTestKit.At(Vectors.Utc("2000-06-01T00:00:00Z"))).Failure?.Reason);
    }

    [Fact]
    public void Verify_passes_on_the_quote_verifiers_rejection()
    {
        var (verifier, sgx, _) = RaTlsTestKit.Verifier();
        sgx.Reject = new AttestationFailure(AttestationFailureReason.BadSignature, "the quote signature does not verify");

        var result = verifier.Verify(RaTlsTestKit.Vector, RaTlsTestKit.At(RaTlsTestKit.VectorTime));

        Assert.Equal(AttestationFailureReason.BadSignature, result.Failure?.Reason);
        Assert.Equal("the sgx quote in the RA-TLS certificate was rejected: the quote signature does not verify", result.Failure!.Message);
    }

    [Fact]
    public void Verify_without_an_SGX_verifier_is_unsupported()
    {
        var verifier = new RaTlsVerifier(new EvidenceVerifiers([new FakeQuoteVerifier(EvidenceKind.Tdx)]));

        var result = verifier.Verify(RaTlsTestKit.Vector, RaTlsTestKit.At(RaTlsTestKit.VectorTime));

        Assert.Equal(AttestationFailureReason.UnsupportedVersion, result.Failure?.Reason);
        Assert.Contains("no verifier for sgx evidence", result.Failure!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_rejects_a_flip_of_every_byte_of_the_verified_quotes_report_body_and_of_the_signature()
    {
        var (verifier, _, _) = RaTlsTestKit.Verifier();
        var der = RaTlsTestKit.VectorDer;
        var certificate = RaTlsCertificate.Parse(der);
        var ccc = der.AsSpan().IndexOf(certificate.Evidence[0].Evidence.Span);
        var legacy = der.AsSpan().IndexOf(certificate.Evidence[1].Evidence.Span);
        Assert.True(ccc > 0 && legacy > 0);

        // Every byte of the CCC quote's header and report body (the evidence that is verified) and of the signature
        // (ECDSA-Sig-Value, the last 106 bytes); a sample of the legacy quote's body and of everything else.
        var positions = new SortedSet<int>(Enumerable.Range(ccc, 48 + 384));
        positions.UnionWith(Enumerable.Range(der.Length - 106, 106));
        positions.UnionWith(Enumerable.Range(legacy, 48 + 384).Where(i => i % 7 == 0));
        positions.UnionWith(Enumerable.Range(0, der.Length).Where(i => i % 101 == 0));
        var options = RaTlsTestKit.At(RaTlsTestKit.VectorTime);

        foreach (var i in positions)
        {
            var tampered = (byte[])der.Clone();
            tampered[i] ^= 0x04;
            Assert.False(verifier.Verify(tampered, options).Verified, $"flipping byte {i} was not detected");
        }
    }

    [Fact]
    public void A_flipped_byte_in_the_signed_part_is_a_bad_signature()
    {
        var (verifier, _, _) = RaTlsTestKit.Verifier();
        var der = RaTlsTestKit.VectorDer;
        var at = der.AsSpan().IndexOf(RaTlsCertificate.Parse(der).Evidence[0].Evidence.Span) + 48 + 0x40;
        der[at] ^= 0x01;

        Assert.Equal(AttestationFailureReason.BadSignature, verifier.Verify(der, RaTlsTestKit.At(RaTlsTestKit.VectorTime)).Failure?.Reason);
    }

    [Fact]
    public void Verify_rejects_every_truncation_of_the_DER_without_an_exception()
    {
        var (verifier, _, _) = RaTlsTestKit.Verifier();
        var der = RaTlsTestKit.VectorDer;
        var options = RaTlsTestKit.At(RaTlsTestKit.VectorTime);

        for (var length = 0; length < der.Length; length += 37)
        {
            Assert.Equal(AttestationFailureReason.Malformed, verifier.Verify(der.AsMemory(0, length), options).Failure?.Reason);
        }

        Assert.Equal(AttestationFailureReason.Malformed, verifier.Verify((byte[])[.. der, 0], options).Failure?.Reason);
    }

    [Fact]
    public void Verify_rejects_truncated_or_garbled_PEM_as_malformed()
    {
        var (verifier, _, _) = RaTlsTestKit.Verifier();
        var pem = Vectors.Text(RaTlsTestKit.VectorPath);
        var options = RaTlsTestKit.At(RaTlsTestKit.VectorTime);

        Assert.Equal(AttestationFailureReason.Malformed, verifier.Verify(Encoding.ASCII.GetBytes(pem[..(pem.Length / 2)]), options).Failure?.Reason);
        Assert.Equal(AttestationFailureReason.Malformed, verifier.Verify(Encoding.ASCII.GetBytes(pem.Replace("MII", "M!I", StringComparison.Ordinal)), options).Failure?.Reason);
        Assert.Equal(AttestationFailureReason.Malformed, verifier.Verify("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"u8.ToArray(), options).Failure?.Reason);
        Assert.Equal(AttestationFailureReason.Malformed, verifier.Verify("garbage"u8.ToArray(), options).Failure?.Reason);
        Assert.Equal(AttestationFailureReason.Malformed, verifier.Verify(Array.Empty<byte>(), options).Failure?.Reason);
    }

    [Fact]
    public void Verify_rejects_another_kind_of_PEM_block()
    {
        var (verifier, _, _) = RaTlsTestKit.Verifier();
        var pem = Vectors.Text(RaTlsTestKit.VectorPath).Replace("CERTIFICATE-----", "CERTIFICATE REQUEST-----", StringComparison.Ordinal);

        Assert.Equal(AttestationFailureReason.Malformed, verifier.Verify(Encoding.ASCII.GetBytes(pem), RaTlsTestKit.At(RaTlsTestKit.VectorTime)).Failure?.Reason);
    }
}
