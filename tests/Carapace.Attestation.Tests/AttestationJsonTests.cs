using System.Text.Json;

namespace Carapace.Attestation.Tests;

public sealed class AttestationJsonTests
{
    [Fact]
    public void A_verified_result_lists_claims_by_name_with_hex_numbers_and_groups()
    {
        var result = AttestationResult.Success(new VerifiedClaims
        {
            Kind = EvidenceKind.Nitro,
            Measurement = new byte[] { 0xAB, 0xCD },
            ReportData = new byte[] { 1, 2 },
            TcbStatus = TcbStatus.NotApplicable,
            Claims = [Claim.Of("moduleId", "i-0"), Claim.Of("timestamp", 42UL), Claim.Group("pcrs", [Claim.Of("pcr0", new byte[] { 0xAB, 0xCD })])],
        });

        using var json = JsonDocument.Parse(AttestationJson.Serialize(result));
        var root = json.RootElement;

        Assert.Equal("nitro", root.GetProperty("kind").GetString());
        Assert.True(root.GetProperty("verified").GetBoolean());
        Assert.Equal("NotApplicable", root.GetProperty("tcbStatus").GetString());
        Assert.Equal(42, root.GetProperty("timestamp").GetInt32());
        Assert.Equal("abcd", root.GetProperty("pcrs").GetProperty("pcr0").GetString());
        Assert.Equal("0102", root.GetProperty("reportData").GetString());
    }

    [Fact]
    public void A_rejection_carries_its_reason_and_message_and_no_claims()
    {
        var result = AttestationResult.Rejected(EvidenceKind.Sgx, AttestationFailureReason.Expired, "the PCK certificate expired");

        using var json = JsonDocument.Parse(AttestationJson.Serialize(result));
        var root = json.RootElement;

        Assert.False(root.GetProperty("verified").GetBoolean());
        Assert.Equal("Expired", root.GetProperty("failure").GetProperty("reason").GetString());
        Assert.Equal("the PCK certificate expired", root.GetProperty("failure").GetProperty("message").GetString());
        Assert.False(root.TryGetProperty("tcbStatus", out _));
    }

    [Fact]
    public void Requiring_other_report_data_turns_a_verified_result_into_a_mismatch()
    {
        var result = AttestationResult.Success(new VerifiedClaims
        {
            Kind = EvidenceKind.Simulation,
            Measurement = new byte[32],
            ReportData = ReportData.Bind("key"u8, "nonce"u8),
            Claims = [],
        });

        Assert.True(result.RequireReportData(ReportData.Bind("key"u8, "nonce"u8)).Verified);
        var other = result.RequireReportData(ReportData.Bind("key"u8, "other nonce"u8));
        Assert.Equal(AttestationFailureReason.ReportDataMismatch, other.Failure!.Reason);
    }
}
