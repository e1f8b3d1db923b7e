using System.Security.Cryptography;
using Carapace.Attestation.Simulation;

namespace Carapace.Attestation.Tests.Simulation;

/// <summary>A clock that always says the same time.</summary>
internal sealed class FixedClock(DateTimeOffset now) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => now;
}

/// <summary>Simulation evidence issued by a fresh key at a fixed time, and options that trust that key.</summary>
internal static class SimulationFixture
{
    public static readonly DateTimeOffset IssuedAt = Vectors.Utc("2025-03-01T12:00:00Z");

    public static readonly byte[] Measurement = SHA256.HashData("carapace test function"u8);

    public static byte[] ReportDataFor(string nonce) => ReportData.Bind("enclave key"u8, System.Text.Encoding.UTF8.GetBytes(nonce));

    public static byte[] Issue(SimulatedQuotingService service, byte[] reportData, DateTimeOffset? at = null)
    {
        var issuer = new SimulatedEvidenceIssuer(service, Measurement, new FixedClock(at ?? IssuedAt));
        return issuer.IssueAsync(reportData).AsTask().GetAwaiter().GetResult().Bytes.ToArray();
    }

    public static VerificationOptions Trusting(SimulatedQuotingService service, DateTimeOffset? at = null) => new()
    {
        At = at ?? IssuedAt.AddSeconds(1),
        SimulationQuotingKeys = [service.PublicKey],
    };
}
