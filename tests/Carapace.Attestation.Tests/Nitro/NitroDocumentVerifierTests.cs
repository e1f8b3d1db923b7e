using System.Security.Cryptography;
using Carapace.Attestation.Nitro;

namespace Carapace.Attestation.Tests.Nitro;

public sealed class NitroDocumentVerifierTests
{
    private static readonly NitroDocumentVerifier _verifier = new();

    [Fact]
    public void The_evervault_vector_verifies_with_its_claims()
    {
        var result = _verifier.Verify(NitroTestData.Document, NitroTestData.Options());

        Assert.True(result.Verified, result.ToString());
        Assert.Equal(EvidenceKind.Nitro, result.Kind);
        Assert.Equal(NitroTestData.Pcr0, Convert.ToHexStringLower(result.Measurement.Span));
        Assert.False(result.Debug);
        Assert.False(result.Insecure);
        Assert.Equal(TcbStatus.NotApplicable, result.TcbStatus);
        Assert.True(result.ReportData.IsEmpty); // user_data is null
        Assert.True(result.PublicKey.IsEmpty); // public_key is null
        Assert.Null(result.SecurityVersion);
        Assert.Equal(Vectors.Utc("2022-10-13T08:57:59Z"), result.ValidFrom);
        Assert.Equal(Vectors.Utc("2022-10-13T11:58:02Z"), result.ValidUntil);

        var claims = result.Claims.ToDictionary(c => c.Name);
        Assert.Equal(NitroTestData.ModuleId, claims["moduleId"].Text);
        Assert.Equal("SHA384", claims["digest"].Text);
        Assert.Equal(NitroTestData.Timestamp, claims["timestamp"].Number);
        Assert.Equal(256, claims["nonce"].Bytes?.Length);
        Assert.False(claims.ContainsKey("userData"));
        Assert.False(claims.ContainsKey("publicKey"));
        var pcrs = claims["pcrs"].Items!.ToDictionary(c => c.Name);
        Assert.Equal(16, pcrs.Count);
        Assert.Equal(NitroTestData.Pcr0, pcrs["pcr0"].Display);
        Assert.Equal(NitroTestData.Pcr1, pcrs["pcr1"].Display);
        Assert.Equal(NitroTestData.Pcr2, pcrs["pcr2"].Display);
        Assert.Equal(NitroTestData.Pcr8, pcrs["pcr8"].Display);
        Assert.Equal(Enumerable.Range(0, 16).Select(i => $"pcr{i}"), claims["pcrs"].Items!.Select(c => c.Name));
    }

    [Fact]
    public void The_tagged_form_of_the_vector_verifies()
    {
        byte[] tagged = [0xD2, .. NitroTestData.Document];

        Assert.True(_verifier.Verify(tagged, NitroTestData.Options()).Verified);
    }

    [Fact]
    public void Verify_fails_as_expired_after_the_leaf_certificate_expires()
    {
        var result = _verifier.Verify(NitroTestData.Document, NitroTestData.Options(Vectors.Utc("2022-10-13T12:00:00Z")));

        Assert.Equal(AttestationFailureReason.Expired, result.Failure?.Reason);
        Assert.Contains("2022-10-13 11:58:02Z", result.Failure!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_fails_as_not_yet_valid_before_the_leaf_certificate_was_issued()
    {
        var result = _verifier.Verify(NitroTestData.Document, NitroTestData.Options(Vectors.Utc("2022-10-13T08:57:58Z")));

        Assert.Equal(AttestationFailureReason.NotYetValid, result.Failure?.Reason);
    }

    [Fact]
    public void Verify_rejects_the_vector_under_roots_that_do_not_include_the_AWS_root()
    {
        var options = new VerificationOptions { At = NitroTestData.ValidAt, Roots = TrustAnchors.Custom([.. TrustAnchors.BuiltIn.Intel]) };

        Assert.Equal(AttestationFailureReason.BrokenChain, _verifier.Verify(NitroTestData.Document, options).Failure?.Reason);
    }

    [Fact]
    public void A_document_verifies_to_its_own_root_and_binds_user_data_and_public_key()
    {
        using var fake = new FakeNitro();
        var userData = RandomNumberGenerator.GetBytes(64);
        var publicKey = fake.LeafKey.ExportSubjectPublicKeyInfo();
        var fields = NitroDocumentTests.Set(fake.Fields(), "user_data", w => w.WriteByteString(userData));
        fields = NitroDocumentTests.Set(fields, "public_key", w => w.WriteByteString(publicKey));

        var result = _verifier.Verify(fake.Sign(fields), fake.Options());

        Assert.True(result.Verified, result.ToString());
        Assert.Equal(userData, result.ReportData.ToArray());
        Assert.Equal(publicKey, result.PublicKey.ToArray());
        Assert.Equal(FakeNitro.Pcr(1), result.Measurement.ToArray());
        Assert.Equal(userData, result.Claims.Single(c => c.Name == "userData").Bytes);
    }

    [Fact]
    public void The_root_inside_the_cabundle_is_never_trusted()
    {
        using var fake = new FakeNitro(); // its cabundle[0] is its own root

        var result = _verifier.Verify(fake.Sign(fake.Fields()), new VerificationOptions { At = FakeNitro.At });

        Assert.Equal(AttestationFailureReason.BrokenChain, result.Failure?.Reason);
    }

    [Fact]
    public void Verify_rejects_a_document_signed_by_another_key()
    {
        using var fake = new FakeNitro();
        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP384);

        var result = _verifier.Verify(fake.Sign(fake.Fields(), key: other), fake.Options());

        Assert.Equal(AttestationFailureReason.BadSignature, result.Failure?.Reason);
    }

    [Fact]
    public void Verify_rejects_a_signature_that_is_not_96_bytes()
    {
        using var fake = new FakeNitro();

        var result = _verifier.Verify(fake.Sign(fake.Fields(), signature: s => s[..^1]), fake.Options());

        Assert.Equal(AttestationFailureReason.Malformed, result.Failure?.Reason);
    }

    [Fact]
    public void Verify_rejects_a_DER_signature_in_place_of_r_and_s()
    {
        using var fake = new FakeNitro();

        var result = _verifier.Verify(fake.Sign(fake.Fields(), signature: AsDer), fake.Options());

        Assert.Equal(AttestationFailureReason.Malformed, result.Failure?.Reason);
    }

    [Fact]
    public void Verify_rejects_a_signing_certificate_without_a_P384_key()
    {
        using var fake = new FakeNitro(ECCurve.NamedCurves.nistP256);

        var result = _verifier.Verify(fake.Sign(fake.Fields()), fake.Options());

        Assert.Equal(AttestationFailureReason.UnsupportedVersion, result.Failure?.Reason);
    }

    [Fact]
    public void Verify_rejects_a_certificate_field_that_is_not_a_certificate()
    {
        using var fake = new FakeNitro();
        var fields = NitroDocumentTests.Set(fake.Fields(), "certificate", w => w.WriteByteString([0x30, 0x03, 0x02, 0x01, 0x00]));

        var result = _verifier.Verify(fake.Sign(fields), fake.Options());

        Assert.Equal(AttestationFailureReason.Malformed, result.Failure?.Reason);
        Assert.Contains("certificate", result.Failure!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_rejects_a_document_without_PCR0()
    {
        using var fake = new FakeNitro();
        var fields = NitroDocumentTests.Set(fake.Fields(), "pcrs", w => FakeNitro.Pcrs(w, [(1, FakeNitro.Pcr(1))]));

        var result = _verifier.Verify(fake.Sign(fields), fake.Options());

        Assert.Equal(AttestationFailureReason.Malformed, result.Failure?.Reason);
        Assert.Contains("PCR0", result.Failure!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_debug_enclave_with_zero_PCRs_is_reported_as_debug()
    {
        using var fake = new FakeNitro();
        var fields = NitroDocumentTests.Set(fake.Fields(), "pcrs", w => FakeNitro.Pcrs(w, Enumerable.Range(0, 3).Select(i => (i, new byte[48]))));

        var result = _verifier.Verify(fake.Sign(fields), fake.Options());

        Assert.True(result.Verified, result.ToString());
        Assert.True(result.Debug);
    }

    [Fact]
    public void Verify_rejects_other_user_data_than_expected()
    {
        var options = new VerificationOptions { At = NitroTestData.ValidAt, ExpectedReportData = new byte[64] };

        Assert.Equal(AttestationFailureReason.ReportDataMismatch, _verifier.Verify(NitroTestData.Document, options).Failure?.Reason);
    }

    private static byte[] AsDer(byte[] p1363)
    {
        var writer = new System.Formats.Asn1.AsnWriter(System.Formats.Asn1.AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            writer.WriteIntegerUnsigned(p1363.AsSpan(0, 48));
            writer.WriteIntegerUnsigned(p1363.AsSpan(48));
        }

        return writer.Encode();
    }
}
