using System.Diagnostics;
using System.Security.Cryptography;
using Carapace.Attestation;
using Carapace.Attestation.Receipts;
using Carapace.Attestation.Simulation;
using Carapace.Enclave.Host;
using Carapace.Envelope.Format;
using Carapace.Envelope.Keys;
using Carapace.Envelope.Sealing;
using Carapace.Protocol;
using Xunit.Abstractions;

namespace Carapace.Enclave.Tests.Host;

public sealed class InvocationReceiptsTests(ITestOutputHelper output) : IDisposable
{
    private static readonly byte[] Measurement = SHA256.HashData("function"u8);
    private readonly SimulatedQuotingService _quoting = SimulatedQuotingService.CreateEphemeral();
    private readonly EdgeKey _edge = EdgeKey.FromBytes(RandomNumberGenerator.GetBytes(32), "pipeline", 1, 2);

    public void Dispose()
    {
        _edge.Dispose();
        _quoting.Dispose();
    }

    [Fact]
    public void A_receipt_names_the_step_the_input_is_addressed_to_and_hashes_the_exact_sealed_bytes()
    {
        using var receipts = Create();
        var requestId = RequestId.New();
        var input = EnvelopeSealer.Seal(_edge, "in"u8, new SealOptions { RequestId = requestId });
        byte[] sealedOutput = [1, 2, 3], sealedLog = [4, 5];

        var encoded = receipts.Issue(EnvelopeHeader.Parse(input).Metadata, input, sealedOutput, sealedLog, InvocationStatus.Completed, 7,
            DateTimeOffset.UtcNow, new ResourceUsage(10, 20, 30, 40));

        var verification = ReceiptVerifier.Verify(encoded, new VerificationOptions { SimulationQuotingKeys = [_quoting.PublicKey] });
        Assert.True(verification.Verified, verification.ToString());
        var receipt = verification.Receipt;
        Assert.Equal(("ns", "fn", "pipeline", 2, requestId, 7), (receipt.Namespace, receipt.Function, receipt.Chain, receipt.Step, receipt.RequestId, receipt.ExitCode));
        Assert.Equal(SHA256.HashData(input), receipt.InputSha256.ToArray());
        Assert.Equal(SHA256.HashData(sealedOutput), receipt.OutputSha256.ToArray());
        Assert.Equal(SHA256.HashData(sealedLog), receipt.LogSha256.ToArray());
        Assert.Equal((10L, 20L, 30L), (receipt.WallMicroseconds, receipt.Fuel, receipt.MemoryBytes));
    }

    [Fact]
    public void Missing_output_and_log_are_empty_hashes()
    {
        using var receipts = Create();
        var input = EnvelopeSealer.Seal(_edge, "in"u8);

        var encoded = receipts.Issue(EnvelopeHeader.Parse(input).Metadata, input, [], [], InvocationStatus.InputRejected, 0, DateTimeOffset.UtcNow, default);

        var receipt = ReceiptVerifier.Verify(encoded, new VerificationOptions { SimulationQuotingKeys = [_quoting.PublicKey] }).Receipt!;
        Assert.True(receipt.OutputSha256.IsEmpty);
        Assert.True(receipt.LogSha256.IsEmpty);
    }

    [Fact]
    public void A_disposed_receipt_key_signs_nothing_more()
    {
        var receipts = Create();
        var input = EnvelopeSealer.Seal(_edge, "in"u8);
        var metadata = EnvelopeHeader.Parse(input).Metadata;

        receipts.Dispose();

        Assert.ThrowsAny<ObjectDisposedException>(() => receipts.Issue(metadata, input, [], [], InvocationStatus.Completed, 0, DateTimeOffset.UtcNow, default));
    }

    [Fact]
    public void Signing_a_receipt_costs_little_per_invocation()
    {
        using var receipts = Create();
        var input = EnvelopeSealer.Seal(_edge, new byte[1024]);
        var metadata = EnvelopeHeader.Parse(input).Metadata;
        var sealedOutput = new byte[1100];
        var sealedLog = new byte[200];
        for (var i = 0; i < 200; i++)
        {
            receipts.Issue(metadata, input, sealedOutput, sealedLog, InvocationStatus.Completed, 0, DateTimeOffset.UtcNow, default);
        }

        const int Rounds = 2000;
        var allocated = GC.GetAllocatedBytesForCurrentThread();
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < Rounds; i++)
        {
            receipts.Issue(metadata, input, sealedOutput, sealedLog, InvocationStatus.Completed, 0, DateTimeOffset.UtcNow, default);
        }

        var micros = watch.Elapsed.TotalMicroseconds / Rounds;
        var bytes = (GC.GetAllocatedBytesForCurrentThread() - allocated) / Rounds;
        output.WriteLine($"receipt per invocation: {micros:0.0} µs, {bytes} bytes allocated");

        // Generous bound: an ECDSA P-256 signature is tens of microseconds; this guards against accidental O(n) work.
        Assert.InRange(micros, 0, 5_000);
    }

    private InvocationReceipts Create() =>
        new("ns", "fn", Measurement, ReceiptSigner.CreateAsync(new SimulatedEvidenceIssuer(_quoting, Measurement)).AsTask().GetAwaiter().GetResult());
}
