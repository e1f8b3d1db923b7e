using System.Formats.Cbor;
using System.Security.Cryptography;
using Carapace.Attestation.Receipts;
using Carapace.Attestation.Simulation;
using Carapace.Attestation.Tests.Simulation;
using Carapace.Protocol;

namespace Carapace.Attestation.Tests.Receipts;

public sealed class ReceiptVerifierTests : IDisposable
{
    private readonly ReceiptFixture _fixture = new();

    public void Dispose() => _fixture.Dispose();

    [Fact]
    public void A_signed_receipt_verifies_and_round_trips_every_field()
    {
        var body = ReceiptFixture.Body();

        var verification = ReceiptVerifier.Verify(_fixture.Signer.Sign(body), _fixture.Options);

        Assert.True(verification.Verified, verification.ToString());
        var receipt = verification.Receipt;
        Assert.Equal(body.Namespace, receipt.Namespace);
        Assert.Equal(body.Function, receipt.Function);
        Assert.Equal(body.Measurement.ToArray(), receipt.Measurement.ToArray());
        Assert.Equal(body.Chain, receipt.Chain);
        Assert.Equal(body.Step, receipt.Step);
        Assert.Equal(body.RequestId, receipt.RequestId);
        Assert.Equal(body.InputSha256.ToArray(), receipt.InputSha256.ToArray());
        Assert.Equal(body.OutputSha256.ToArray(), receipt.OutputSha256.ToArray());
        Assert.Equal(body.LogSha256.ToArray(), receipt.LogSha256.ToArray());
        Assert.Equal(body.Status, receipt.Status);
        Assert.Equal(body.ExitCode, receipt.ExitCode);
        Assert.Equal(body.Start.AddTicks(-3), receipt.Start); // microsecond precision on the wire
        Assert.Equal(body.End, receipt.End);
        Assert.Equal(body.WallMicroseconds, receipt.WallMicroseconds);
        Assert.Equal(body.Fuel, receipt.Fuel);
        Assert.Equal(body.MemoryBytes, receipt.MemoryBytes);
        Assert.Equal(_fixture.Signer.PublicKey.ToArray(), receipt.SigningKey.ToArray());
        Assert.Equal(EvidenceKind.Simulation, receipt.Evidence.Kind);
        Assert.Equal(_fixture.Signer.Evidence.Bytes.ToArray(), receipt.Evidence.Bytes.ToArray());
        Assert.True(verification.Attestation.Insecure);
        Assert.Contains("INSECURE", verification.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_receipt_without_output_or_log_keeps_them_empty()
    {
        var body = ReceiptFixture.Body() with { OutputSha256 = default, LogSha256 = default, Status = InvocationStatus.InputRejected, ExitCode = -1 };

        var verification = ReceiptVerifier.Verify(_fixture.Signer.Sign(body), _fixture.Options);

        Assert.True(verification.Verified, verification.ToString());
        Assert.True(verification.Receipt.OutputSha256.IsEmpty);
        Assert.True(verification.Receipt.LogSha256.IsEmpty);
        Assert.Equal(InvocationStatus.InputRejected, verification.Receipt.Status);
        Assert.Equal(-1, verification.Receipt.ExitCode);
    }

    [Fact]
    public void The_evidence_binds_the_signing_key_by_the_documented_rule()
    {
        var expected = (byte[])[.. SHA256.HashData(_fixture.Signer.PublicKey.Span), .. SHA256.HashData("carapace receipt key v1"u8)];

        var result = new SimulatedEvidenceVerifier().Verify(_fixture.Signer.Evidence.Bytes, _fixture.Options);

        Assert.Equal(expected, result.ReportData.ToArray());
        Assert.Equal(expected, ReceiptSigner.ReportDataFor(_fixture.Signer.PublicKey.Span));
    }

    [Fact]
    public void The_signature_is_P1363_ECDSA_over_the_context_label_and_the_body()
    {
        var receipt = _fixture.Signer.Sign(ReceiptFixture.Body());
        var (body, sig) = BodyAndSignature(receipt);
        using var key = ECDsa.Create();
        key.ImportSubjectPublicKeyInfo(_fixture.Signer.PublicKey.Span, out _);

        Assert.True(key.VerifyData((byte[])[.. "carapace receipt v1"u8, .. body], sig, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation));
    }

    [Fact]
    public void Every_byte_flip_fails_with_the_reason_of_the_part_it_hits()
    {
        var receipt = _fixture.Signer.Sign(ReceiptFixture.Body());
        var (body, sig) = BodyAndSignature(receipt);
        var bodyAt = receipt.AsSpan().IndexOf(body);
        var sigAt = receipt.AsSpan().IndexOf(sig);
        var evidence = _fixture.Signer.Evidence.Bytes.Span;
        var evidenceAt = receipt.AsSpan().IndexOf(evidence);
        Assert.True(bodyAt > 0 && sigAt > 0 && evidenceAt > 0);

        foreach (var mask in new byte[] { 0x01, 0x80, 0xff })
        {
            for (var i = 0; i < receipt.Length; i++)
            {
                var flipped = (byte[])receipt.Clone();
                flipped[i] ^= mask;

                var verification = ReceiptVerifier.Verify(flipped, _fixture.Options);

                Assert.False(verification.Verified, $"flip 0x{mask:x2} at {i} verified");
                ReceiptFailureReason[] expected =
                    i >= sigAt && i < sigAt + sig.Length ? [ReceiptFailureReason.BadSignature]
                    : i >= bodyAt && i < bodyAt + body.Length ? [ReceiptFailureReason.BadSignature, ReceiptFailureReason.Malformed]
                    : i >= evidenceAt && i < evidenceAt + evidence.Length ? [ReceiptFailureReason.EvidenceNotVerified]
                    : [ReceiptFailureReason.Malformed];
                Assert.True(expected.Contains(verification.Reason!.Value), $"flip 0x{mask:x2} at {i}: {verification}");
                Assert.Null(verification.Receipt);
            }
        }
    }

    [Fact]
    public void Every_truncation_and_trailing_byte_is_malformed()
    {
        var receipt = _fixture.Signer.Sign(ReceiptFixture.Body());

        for (var length = 0; length < receipt.Length; length++)
        {
            Assert.Equal(ReceiptFailureReason.Malformed, ReceiptVerifier.Verify(receipt.AsSpan(0, length), _fixture.Options).Reason);
        }

        Assert.Equal(ReceiptFailureReason.Malformed, ReceiptVerifier.Verify((byte[])[.. receipt, 0], _fixture.Options).Reason);
    }

    [Fact]
    public void Evidence_from_a_quoting_key_the_verifier_does_not_trust_is_not_verified()
    {
        using var other = SimulatedQuotingService.CreateEphemeral();
        var receipt = _fixture.Signer.Sign(ReceiptFixture.Body());

        var verification = ReceiptVerifier.Verify(receipt, SimulationFixture.Trusting(other, SimulationFixture.IssuedAt.AddHours(1)));

        Assert.Equal(ReceiptFailureReason.EvidenceNotVerified, verification.Reason);
        Assert.Equal(AttestationFailureReason.BrokenChain, verification.Attestation!.Failure!.Reason);
        Assert.Contains("not one of the trusted simulation quoting keys", verification.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Simulation_evidence_is_not_verified_without_a_trusted_quoting_key()
    {
        var verification = ReceiptVerifier.Verify(_fixture.Signer.Sign(ReceiptFixture.Body()), new VerificationOptions());

        Assert.Equal(ReceiptFailureReason.EvidenceNotVerified, verification.Reason);
        Assert.Equal(AttestationFailureReason.PolicyDenied, verification.Attestation!.Failure!.Reason);
    }

    [Fact]
    public void A_receipt_signed_by_a_key_the_evidence_does_not_bind_is_rejected()
    {
        // Real evidence for the enclave's key, but a receipt signed by a key of the attacker's choosing.
        using var forger = new ReceiptSigner(ECDsa.Create(ECCurve.NamedCurves.nistP256), _fixture.Signer.Evidence);

        var verification = ReceiptVerifier.Verify(forger.Sign(ReceiptFixture.Body()), _fixture.Options);

        Assert.Equal(ReceiptFailureReason.KeyNotBound, verification.Reason);
        Assert.True(verification.Attestation!.Verified);
        Assert.Contains("does not bind its signing key", verification.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_receipt_naming_another_measurement_than_its_evidence_is_rejected()
    {
        var body = ReceiptFixture.Body() with { Measurement = SHA256.HashData("another function"u8) };

        var verification = ReceiptVerifier.Verify(_fixture.Signer.Sign(body), _fixture.Options);

        Assert.Equal(ReceiptFailureReason.MeasurementMismatch, verification.Reason);
        Assert.Contains(Convert.ToHexStringLower(SimulationFixture.Measurement), verification.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_receipt_whose_maps_are_not_canonical_is_malformed()
    {
        var receipt = _fixture.Signer.Sign(ReceiptFixture.Body());
        var (body, sig) = BodyAndSignature(receipt);
        var w = new CborWriter(CborConformanceMode.Lax);
        w.WriteStartMap(5);
        w.WriteTextString("evidence");
        w.WriteByteString(_fixture.Signer.Evidence.Bytes.Span);
        w.WriteTextString("v");
        w.WriteInt32(1);
        w.WriteTextString("sig");
        w.WriteByteString(sig);
        w.WriteTextString("body");
        w.WriteByteString(body);
        w.WriteTextString("kind");
        w.WriteTextString("sim");
        w.WriteEndMap();

        Assert.Equal(ReceiptFailureReason.Malformed, ReceiptVerifier.Verify(w.Encode(), _fixture.Options).Reason);
    }

    [Fact]
    public void A_receipt_of_another_version_is_malformed_and_says_so()
    {
        var receipt = _fixture.Signer.Sign(ReceiptFixture.Body());
        var at = receipt.AsSpan().IndexOf("\x61v\x01"u8);
        receipt[at + 2] = 2;

        var verification = ReceiptVerifier.Verify(receipt, _fixture.Options);

        Assert.Equal(ReceiptFailureReason.Malformed, verification.Reason);
        Assert.Contains("receipt version 2 is not supported", verification.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Options_that_expect_other_report_data_are_refused_as_a_caller_error()
    {
        var options = new VerificationOptions { ExpectedReportData = new byte[64], SimulationQuotingKeys = [_fixture.Quoting.PublicKey] };

        Assert.Throws<ArgumentException>(() => ReceiptVerifier.Verify(_fixture.Signer.Sign(ReceiptFixture.Body()), options));
    }

    [Theory]
    [InlineData("measurement")]
    [InlineData("input")]
    [InlineData("output")]
    [InlineData("step")]
    [InlineData("fuel")]
    public void Sign_refuses_a_body_the_format_cannot_carry(string field)
    {
        var body = ReceiptFixture.Body();
        body = field switch
        {
            "measurement" => body with { Measurement = new byte[31] },
            "input" => body with { InputSha256 = default },
            "output" => body with { OutputSha256 = new byte[16] },
            "step" => body with { Step = -1 },
            _ => body with { Fuel = -1 },
        };

        Assert.ThrowsAny<ArgumentException>(() => _fixture.Signer.Sign(body));
    }

    [Fact]
    public void A_signer_refuses_a_key_that_is_not_P256()
    {
        using var p384 = ECDsa.Create(ECCurve.NamedCurves.nistP384);

        Assert.Throws<ArgumentException>(() => new ReceiptSigner(p384, _fixture.Signer.Evidence));
    }

    internal static (byte[] Body, byte[] Signature) BodyAndSignature(byte[] receipt)
    {
        var r = new CborReader(receipt, CborConformanceMode.Ctap2Canonical);
        var count = r.ReadStartMap();
        byte[] body = [], sig = [];
        for (var i = 0; i < count; i++)
        {
            switch (r.ReadTextString())
            {
                case "body": body = r.ReadByteString(); break;
                case "sig": sig = r.ReadByteString(); break;
                default: r.SkipValue(); break;
            }
        }

        return (body, sig);
    }
}
