using System.Buffers.Binary;
using System.Formats.Cbor;
using Carapace.Attestation.Simulation;

namespace Carapace.Attestation.Tests.Simulation;

public sealed class SimulatedEvidenceVerifierTests : IDisposable
{
    private readonly SimulatedQuotingService _service = SimulatedQuotingService.CreateEphemeral();
    private readonly SimulatedEvidenceVerifier _verifier = new();
    private readonly byte[] _reportData = SimulationFixture.ReportDataFor("nonce-1");

    public void Dispose() => _service.Dispose();

    [Fact]
    public void Verify_accepts_evidence_from_a_trusted_key_and_marks_it_insecure()
    {
        var evidence = SimulationFixture.Issue(_service, _reportData);

        var result = _verifier.Verify(evidence, SimulationFixture.Trusting(_service));

        Assert.True(result.Verified, result.ToString());
        Assert.Equal(EvidenceKind.Simulation, result.Kind);
        Assert.True(result.Insecure);
        Assert.False(result.Debug);
        Assert.Equal(TcbStatus.NotApplicable, result.TcbStatus);
        Assert.Equal(SimulationFixture.Measurement, result.Measurement.ToArray());
        Assert.Equal(_reportData, result.ReportData.ToArray());
        Assert.Equal(SimulationFixture.IssuedAt, result.ValidFrom);
        Assert.Contains("INSECURE", result.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_reports_the_documented_claims_with_the_simulation_warning_first()
    {
        var result = _verifier.Verify(SimulationFixture.Issue(_service, _reportData), SimulationFixture.Trusting(_service));

        Assert.Equal(["warning", "measurement", "reportData", "issuedAt", "quotingKeyId"], result.Claims.Select(c => c.Name));
        Assert.Equal("SIMULATION: no hardware protection", result.Claims[0].Text);
        Assert.Equal((ulong)SimulationFixture.IssuedAt.ToUnixTimeMilliseconds(), result.Claims[3].Number);
        Assert.Equal(_service.KeyId, result.Claims[4].Display);
    }

    [Fact]
    public void Verify_rejects_simulation_evidence_when_no_quoting_key_is_trusted()
    {
        var evidence = SimulationFixture.Issue(_service, _reportData);

        var result = _verifier.Verify(evidence, new VerificationOptions { At = SimulationFixture.IssuedAt });

        Assert.False(result.Verified);
        Assert.Equal(AttestationFailureReason.PolicyDenied, result.Failure!.Reason);
        Assert.Equal("simulation evidence is accepted only with a trusted simulation quoting key (allowSimulation)", result.Failure.Message);
    }

    [Fact]
    public void Verify_rejects_evidence_signed_by_a_key_that_is_not_trusted()
    {
        using var other = SimulatedQuotingService.CreateEphemeral();
        var evidence = SimulationFixture.Issue(other, _reportData);

        var result = _verifier.Verify(evidence, SimulationFixture.Trusting(_service));

        Assert.Equal(AttestationFailureReason.BrokenChain, result.Failure!.Reason);
        Assert.Contains(other.KeyId, result.Failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_rejects_evidence_that_names_a_trusted_key_but_is_signed_by_another()
    {
        using var attacker = SimulatedQuotingService.CreateEphemeral();
        var signed = SimulatedEvidence.EncodeSigned(SimulationFixture.Measurement, _reportData,
            (ulong)SimulationFixture.IssuedAt.ToUnixTimeMilliseconds(), _service.PublicKey.Span);

        var result = _verifier.Verify((byte[])[.. signed, .. attacker.Sign(signed)], SimulationFixture.Trusting(_service));

        Assert.Equal(AttestationFailureReason.BadSignature, result.Failure!.Reason);
    }

    [Fact]
    public void Verify_rejects_a_flip_of_every_single_byte()
    {
        var evidence = SimulationFixture.Issue(_service, _reportData);
        var options = SimulationFixture.Trusting(_service);

        for (var i = 0; i < evidence.Length; i++)
        {
            var tampered = (byte[])evidence.Clone();
            tampered[i] ^= 0x01;
            var result = _verifier.Verify(tampered, options);
            Assert.False(result.Verified, $"flipping byte {i} was not detected");
        }
    }

    [Fact]
    public void Verify_rejects_a_flipped_signature_byte_as_a_bad_signature()
    {
        var evidence = SimulationFixture.Issue(_service, _reportData);
        evidence[^10] ^= 0x80;

        var result = _verifier.Verify(evidence, SimulationFixture.Trusting(_service));

        Assert.Equal(AttestationFailureReason.BadSignature, result.Failure!.Reason);
    }

    [Fact]
    public void Verify_rejects_every_truncation_and_padding_as_malformed()
    {
        var evidence = SimulationFixture.Issue(_service, _reportData);
        var options = SimulationFixture.Trusting(_service);

        for (var length = 0; length < evidence.Length; length++)
        {
            Assert.Equal(AttestationFailureReason.Malformed, _verifier.Verify(evidence.AsMemory(0, length), options).Failure?.Reason);
        }

        Assert.Equal(AttestationFailureReason.Malformed, _verifier.Verify((byte[])[.. evidence, 0], options).Failure?.Reason);
        Assert.Equal(AttestationFailureReason.Malformed, _verifier.Verify("not simulation evidence at all, just text"u8.ToArray(), options).Failure?.Reason);
    }

    [Fact]
    public void Verify_rejects_another_layout_version_as_unsupported()
    {
        var evidence = SimulationFixture.Issue(_service, _reportData);
        evidence[4] = 2;

        var result = _verifier.Verify(evidence, SimulationFixture.Trusting(_service));

        Assert.Equal(AttestationFailureReason.UnsupportedVersion, result.Failure!.Reason);
    }

    [Fact]
    public void Verify_rejects_evidence_issued_more_than_five_minutes_in_the_future()
    {
        var evidence = SimulationFixture.Issue(_service, _reportData, SimulationFixture.IssuedAt.AddMinutes(5).AddSeconds(1));

        var result = _verifier.Verify(evidence, SimulationFixture.Trusting(_service, SimulationFixture.IssuedAt));

        Assert.Equal(AttestationFailureReason.NotYetValid, result.Failure!.Reason);
    }

    [Fact]
    public void Verify_tolerates_five_minutes_of_clock_skew()
    {
        var evidence = SimulationFixture.Issue(_service, _reportData, SimulationFixture.IssuedAt.AddMinutes(5));

        var result = _verifier.Verify(evidence, SimulationFixture.Trusting(_service, SimulationFixture.IssuedAt));

        Assert.True(result.Verified, result.ToString());
    }

    [Fact]
    public void Verify_rejects_evidence_for_other_report_data_than_expected()
    {
        var evidence = SimulationFixture.Issue(_service, _reportData);
        var options = new VerificationOptions
        {
            At = SimulationFixture.IssuedAt,
            SimulationQuotingKeys = [_service.PublicKey],
            ExpectedReportData = SimulationFixture.ReportDataFor("nonce-2"),
        };

        Assert.Equal(AttestationFailureReason.ReportDataMismatch, _verifier.Verify(evidence, options).Failure?.Reason);
    }

    [Fact]
    public void Evidence_has_the_documented_layout()
    {
        var evidence = SimulationFixture.Issue(_service, _reportData);

        Assert.Equal("CRPS"u8.ToArray(), evidence[..4]);
        Assert.Equal(1, evidence[4]);
        var bodyLength = (int)BinaryPrimitives.ReadUInt32BigEndian(evidence.AsSpan(5, 4));
        Assert.Equal(9 + bodyLength + 64, evidence.Length);

        var reader = new CborReader(evidence.AsMemory(9, bodyLength), CborConformanceMode.Ctap2Canonical);
        Assert.Equal(6, reader.ReadStartMap());
        var fields = new Dictionary<string, object>();
        for (var i = 0; i < 6; i++)
        {
            var key = reader.ReadTextString();
            fields[key] = reader.PeekState() switch
            {
                CborReaderState.TextString => reader.ReadTextString(),
                CborReaderState.UnsignedInteger => reader.ReadUInt64(),
                _ => reader.ReadByteString(),
            };
        }

        reader.ReadEndMap();
        Assert.Equal(0, reader.BytesRemaining);
        Assert.Equal("carapace-sim", fields["format"]);
        Assert.Equal(1UL, fields["version"]);
        Assert.Equal(SimulationFixture.Measurement, fields["measurement"]);
        Assert.Equal(_reportData, fields["reportData"]);
        Assert.Equal((ulong)SimulationFixture.IssuedAt.ToUnixTimeMilliseconds(), fields["issuedAt"]);
        Assert.Equal(_service.PublicKey.ToArray(), fields["quotingKey"]);
    }

    [Fact]
    public void Verify_rejects_a_correctly_signed_body_that_is_not_canonical_cbor()
    {
        // Same fields, but keys in insertion order rather than canonical order: re-signed, so only the encoding is wrong.
        var writer = new CborWriter(CborConformanceMode.Lax);
        writer.WriteStartMap(6);
        writer.WriteTextString("version");
        writer.WriteUInt32(1);
        writer.WriteTextString("format");
        writer.WriteTextString("carapace-sim");
        writer.WriteTextString("measurement");
        writer.WriteByteString(SimulationFixture.Measurement);
        writer.WriteTextString("reportData");
        writer.WriteByteString(_reportData);
        writer.WriteTextString("issuedAt");
        writer.WriteUInt64((ulong)SimulationFixture.IssuedAt.ToUnixTimeMilliseconds());
        writer.WriteTextString("quotingKey");
        writer.WriteByteString(_service.PublicKey.Span);
        writer.WriteEndMap();
        var body = writer.Encode();
        var signed = new byte[9 + body.Length];
        "CRPS"u8.CopyTo(signed);
        signed[4] = 1;
        BinaryPrimitives.WriteUInt32BigEndian(signed.AsSpan(5), (uint)body.Length);
        body.CopyTo(signed, 9);

        var result = _verifier.Verify((byte[])[.. signed, .. _service.Sign(signed)], SimulationFixture.Trusting(_service));

        Assert.Equal(AttestationFailureReason.Malformed, result.Failure?.Reason);
    }

    [Fact]
    public void Issuer_refuses_report_data_that_is_not_64_bytes()
    {
        var issuer = new SimulatedEvidenceIssuer(_service, SimulationFixture.Measurement);

        Assert.Throws<ArgumentException>(() => issuer.IssueAsync(new byte[63]).AsTask().GetAwaiter().GetResult());
        Assert.Equal(EvidenceKind.Simulation, issuer.Kind);
    }

    [Fact]
    public void Issuer_refuses_a_measurement_that_is_not_32_bytes() =>
        Assert.Throws<ArgumentException>(() => new SimulatedEvidenceIssuer(_service, new byte[48]));
}
