using System.Security.Cryptography;
using Carapace.Attestation.Receipts;
using Carapace.Envelope.Format;

namespace Carapace.Attestation.Tests.Receipts;

public sealed class ReceiptChainTests
{
    private static readonly RequestId Request = RequestId.New();
    private static readonly byte[][] Envelopes = [.. Enumerable.Range(0, 4).Select(i => SHA256.HashData([(byte)i]))];
    private static readonly byte[][] Measurements = [.. Enumerable.Range(0, 3).Select(i => SHA256.HashData([(byte)(100 + i)]))];

    [Fact]
    public void Three_linked_steps_from_the_sealed_input_to_the_sealed_output_form_the_chain()
    {
        var result = Check(Run());

        Assert.True(result.Valid, result.ToString());
        Assert.Null(result.Reason);
    }

    [Fact]
    public void Expected_measurements_are_checked_per_step()
    {
        Assert.True(Check(Run(), [.. Measurements.Select(m => (ReadOnlyMemory<byte>)m)]).Valid);

        var result = Check(Run(), [Measurements[0], Measurements[2], Measurements[1]]);

        Assert.Equal(ReceiptChainFailureReason.MeasurementMismatch, result.Reason);
        Assert.Equal(2, result.Step);
    }

    [Fact]
    public void A_missing_step_is_named()
    {
        var run = Run();

        var result = Check([run[0], run[2]]);

        Assert.Equal(ReceiptChainFailureReason.MissingStep, result.Reason);
        Assert.Equal(2, result.Step);
        Assert.Equal(ReceiptChainFailureReason.MissingStep, Check([]).Reason);
    }

    [Fact]
    public void A_duplicated_step_is_refused()
    {
        var run = Run();

        var result = Check([run[0], run[1], run[1], run[2]]);

        Assert.Equal(ReceiptChainFailureReason.DuplicateStep, result.Reason);
        Assert.Equal(2, result.Step);
    }

    [Fact]
    public void Reordered_receipts_are_refused()
    {
        var run = Run();

        Assert.Equal(ReceiptChainFailureReason.OutOfOrder, Check([run[1], run[0], run[2]]).Reason);
    }

    [Fact]
    public void A_step_beyond_the_chain_is_refused()
    {
        var run = Run();

        Assert.Equal(ReceiptChainFailureReason.StepOutOfRange, Check([.. run, run[2] with { Step = 4 }]).Reason);
        Assert.Equal(ReceiptChainFailureReason.StepOutOfRange, Check([run[0] with { Step = 0 }, run[1], run[2]]).Reason);
    }

    [Fact]
    public void A_broken_hash_link_between_steps_is_refused()
    {
        var run = Run();
        run[1] = run[1] with { InputSha256 = SHA256.HashData("substituted"u8) };

        var result = Check(run);

        Assert.Equal(ReceiptChainFailureReason.BrokenLink, result.Reason);
        Assert.Equal(2, result.Step);
    }

    [Fact]
    public void Another_sealed_input_or_output_than_the_client_saw_is_refused()
    {
        Assert.Equal(ReceiptChainFailureReason.InputMismatch,
            ReceiptChain.Check(Run(), Request, "pipeline", 3, SHA256.HashData("other input"u8), Envelopes[3]).Reason);
        Assert.Equal(ReceiptChainFailureReason.OutputMismatch,
            ReceiptChain.Check(Run(), Request, "pipeline", 3, Envelopes[0], SHA256.HashData("other output"u8)).Reason);
    }

    [Fact]
    public void A_receipt_of_another_request_chain_or_namespace_is_refused()
    {
        var run = Run();

        Assert.Equal(ReceiptChainFailureReason.WrongRequest, Check([run[0], run[1] with { RequestId = RequestId.New() }, run[2]]).Reason);
        Assert.Equal(ReceiptChainFailureReason.WrongChain, Check([run[0], run[1] with { Chain = "other" }, run[2]]).Reason);
        Assert.Equal(ReceiptChainFailureReason.WrongNamespace, Check([run[0], run[1] with { Namespace = "other" }, run[2]]).Reason);
        Assert.Equal(ReceiptChainFailureReason.WrongRequest,
            ReceiptChain.Check(run, RequestId.New(), "pipeline", 3, Envelopes[0], Envelopes[3]).Reason);
    }

    [Fact]
    public void A_single_step_chain_links_input_to_output()
    {
        var receipt = Run()[0] with { OutputSha256 = Envelopes[3] };

        Assert.True(ReceiptChain.Check([receipt], Request, "pipeline", 1, Envelopes[0], Envelopes[3]).Valid);
    }

    [Fact]
    public void Caller_errors_throw()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ReceiptChain.Check(Run(), Request, "pipeline", 0, Envelopes[0], Envelopes[3]));
        Assert.Throws<ArgumentException>(() => ReceiptChain.Check(Run(), Request, "pipeline", 3, Envelopes[0], new byte[3]));
        Assert.Throws<ArgumentException>(() => ReceiptChain.Check(Run(), Request, "pipeline", 3, Envelopes[0], Envelopes[3], [Measurements[0]]));
    }

    private static ReceiptChainResult Check(IReadOnlyList<Receipt> receipts, IReadOnlyList<ReadOnlyMemory<byte>>? measurements = null) =>
        ReceiptChain.Check(receipts, Request, "pipeline", 3, Envelopes[0], Envelopes[3], measurements);

    /// <summary>Receipts of steps 1..3: step i consumed envelope i-1 and produced envelope i.</summary>
    private static Receipt[] Run() =>
    [
        .. Enumerable.Range(1, 3).Select(step => new Receipt
        {
            Namespace = "guest",
            Function = "f" + step,
            Measurement = Measurements[step - 1],
            Chain = "pipeline",
            Step = step,
            RequestId = Request,
            InputSha256 = Envelopes[step - 1],
            OutputSha256 = Envelopes[step],
            LogSha256 = SHA256.HashData("log"u8),
            Status = Protocol.InvocationStatus.Completed,
            Start = DateTimeOffset.UnixEpoch,
            End = DateTimeOffset.UnixEpoch,
            SigningKey = new byte[91],
            Evidence = new Evidence(EvidenceKind.Simulation, new byte[1]),
        }),
    ];
}
