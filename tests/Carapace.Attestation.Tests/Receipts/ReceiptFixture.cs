using System.Security.Cryptography;
using Carapace.Attestation.Receipts;
using Carapace.Attestation.Simulation;
using Carapace.Attestation.Tests.Simulation;
using Carapace.Envelope.Format;
using Carapace.Protocol;

namespace Carapace.Attestation.Tests.Receipts;

/// <summary>An enclave's receipt signer with simulation evidence from a fresh quoting key, and the options that trust it.</summary>
internal sealed class ReceiptFixture : IDisposable
{
    public static readonly DateTimeOffset Start = SimulationFixture.IssuedAt.AddMinutes(1).AddTicks(1233);

    public ReceiptFixture()
    {
        Signer = CreateSigner(Quoting, SimulationFixture.Measurement);
    }

    public SimulatedQuotingService Quoting { get; } = SimulatedQuotingService.CreateEphemeral();

    public ReceiptSigner Signer { get; }

    public VerificationOptions Options => SimulationFixture.Trusting(Quoting, SimulationFixture.IssuedAt.AddHours(1));

    public static ReceiptSigner CreateSigner(SimulatedQuotingService quoting, byte[] measurement) =>
        ReceiptSigner.CreateAsync(new SimulatedEvidenceIssuer(quoting, measurement, new FixedClock(SimulationFixture.IssuedAt))).AsTask().GetAwaiter().GetResult();

    public static ReceiptBody Body(int step = 1, string chain = "pipeline", RequestId? requestId = null, byte[]? input = null, byte[]? output = null) => new()
    {
        Namespace = "guest",
        Function = "resize",
        Measurement = SimulationFixture.Measurement,
        Chain = chain,
        Step = step,
        RequestId = requestId ?? RequestId.FromBytes(Convert.FromHexString("00112233445566778899aabbccddeeff")),
        InputSha256 = input ?? SHA256.HashData("sealed input"u8),
        OutputSha256 = output ?? SHA256.HashData("sealed output"u8),
        LogSha256 = SHA256.HashData("sealed log"u8),
        Status = InvocationStatus.Completed,
        ExitCode = 3,
        Start = Start,
        End = SimulationFixture.IssuedAt.AddMinutes(1).AddMilliseconds(12.5),
        WallMicroseconds = 12_000,
        Fuel = 42,
        MemoryBytes = 1 << 20,
    };

    public void Dispose()
    {
        Signer.Dispose();
        Quoting.Dispose();
    }
}
