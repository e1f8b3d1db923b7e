using System.Text;
using System.Text.Json;
using Carapace.Controller.Activations;
using Carapace.Envelope;
using Carapace.Envelope.Format;
using Carapace.Protocol;
using Carapace.Worker.Enclaves;
using Carapace.Worker.Pools;

namespace Carapace.Controller.Invocation;

/// <summary>Running the steps of an admitted invocation, one after the other, and recording each.</summary>
public sealed partial class InvocationService
{
    // firstClaimed: for a single action, whether its step was claimed along with its activation.
    private async Task<InvocationResult> RunAsync(InvocationPlan plan, EnvelopeMetadata header, InvocationRequest request, ActivationRecord top,
        bool? firstClaimed)
    {
        var requestId = header.RequestId;
        var sequence = plan.IsSequence;
        var receipts = new List<ReadOnlyMemory<byte>>(plan.Steps.Count);
        var stepActivations = new List<ActivationId>(plan.Steps.Count);
        var input = request.SealedInput;
        // A plaintext step is a one-step chain of its own, re-sealed by the trusted edge: each gets a fresh request id,
        // so that a sequence may run the same action twice (its enclaves accept a request id once).
        var stepRequestId = requestId;
        ReadOnlyMemory<byte>? log = null;
        var cold = false;
        long initMicros = 0;
        System.Text.Json.JsonElement? plainResult = null;
        (ActivationId, bool)? prestarted = null;
        var sequenceRecorded = false;
        for (var i = 1; i <= plan.Steps.Count; i++)
        {
            using var stage = ControllerTelemetry.Stages.Start("step");
            stage.Activity?.SetTag("carapace.step", i);
            var action = plan.Steps[i - 1];
            // A later step of a chain was recorded and claimed with the previous step's outcome, in its transaction.
            var (activation, claimed) = prestarted is { } next ? next
                : sequence ? Started(_activations.StartStep(StepStart(plan, request, top, requestId, i), requestId, plan.Chain, i))
                : (top.ActivationId, firstClaimed!.Value);
            prestarted = null;
            stepActivations.Add(activation);

            if (!claimed)
            {
                var replay = $"request {requestId} already ran step {i} of chain '{plan.Chain}'; a step runs at most once per request id, so it was not run again";
                return Finish(top, activation, sequence, ActivationStatus.ApplicationError, replay, stepActivations, receipts, cold, initMicros) with { Replayed = true };
            }

            Worker.Pools.InvocationOutcome outcome;
            try
            {
                outcome = await _steps.RunAsync(action, input, freshEnclave: false, _shutdown.Token).ConfigureAwait(false);
                if (outcome.Result.Status == InvocationStatus.InputRejected && outcome.Result.Reason == InputRejectionReason.KeyUnavailable)
                {
                    // The enclave was attested under an older policy (e.g. before this chain existed): the function did
                    // not run. Retire the action's enclaves and let one attested under the current policy take the same
                    // input, once, under the same step claim.
                    var retried = await _steps.RunAsync(action, input, freshEnclave: true, _shutdown.Token).ConfigureAwait(false);
                    outcome = retried with
                    {
                        ColdStart = true,
                        SpecializeMicroseconds = outcome.SpecializeMicroseconds + retried.SpecializeMicroseconds,
                    };
                }
            }
            catch (KmsUnavailableException e)
            {
                // Nothing ran: no enclave could get its keys. The failure is recorded, and the caller told when to retry.
                var reason = $"step {i} ({action.Name}) could not start: {e.Message}; nothing ran, retry in {Math.Ceiling(e.RetryAfter.TotalSeconds):0} s";
                _activations.RecordStepFailure(requestId, plan.Chain, i, reason);
                return Finish(top, activation, sequence, ActivationStatus.WhiskInternalError, reason, stepActivations, receipts, cold, initMicros)
                    with { RetryAfter = e.RetryAfter };
            }
            catch (Exception e) when (e is EnclaveException or OperationCanceledException)
            {
                var reason = e switch
                {
                    EnclaveException { EnclaveLost: true } lost =>
                        $"step {i} ({action.Name}) failed in the platform: the enclave running it was lost ({lost.Message}); it was not run again",
                    EnclaveException refused => $"step {i} ({action.Name}) failed in the platform: {refused.Message}",
                    _ => $"step {i} ({action.Name}) was interrupted by the platform shutting down",
                };
                _activations.RecordStepFailure(requestId, plan.Chain, i, reason);
                return Finish(top, activation, sequence, ActivationStatus.WhiskInternalError, reason, stepActivations, receipts, cold, initMicros);
            }
            catch (ActionNotRunnableException e)
            {
                // The deployer's error (a definition stored before it was checked), not the platform's: recorded, not thrown.
                var reason = $"step {i} ({action.Name}) cannot run: {e.Message}";
                _activations.FinishStep(activation, new ActivationOutcome { Status = ActivationStatus.DeveloperError, Error = reason }, requestId, plan.Chain, i);
                return Finish(top, activation, sequence, ActivationStatus.DeveloperError, reason, stepActivations, receipts, cold, initMicros);
            }

            var result = outcome.Result;
            if (outcome.ColdStart)
            {
                cold = true;
                initMicros += outcome.SpecializeMicroseconds;
            }

            if (ReceiptOf(result).Length > 0)
            {
                receipts.Add(ReceiptOf(result));
            }

            if (result.Log.Length > 0)
            {
                log = result.Log;
            }

            var (status, error) = StatusOf(result, action);
            if (status == ActivationStatus.Success)
            {
                error = action.Confidential
                    ? Misaddressed(result.Output.Span, plan.Chain, requestId, i)
                    : Misaddressed(result.Output.Span, ChainIdOf(action.Name), stepRequestId, 1);
                if (error is not null)
                {
                    status = ActivationStatus.ApplicationError;
                }
            }

            // An input the enclave refused without accepting it leaves the request id unused: the step's claim is
            // withdrawn (the refusal stays recorded), so a genuine copy of a damaged or forged input can still run.
            var unaccepted = result.Status == InvocationStatus.InputRejected && InputRejectionReason.LeavesRequestIdUnused(result.Reason);
            if (unaccepted && i == 1)
            {
                error += "; the enclave did not accept this input, so its request id is not used up and the genuine request can still be sent";
            }

            var plain = action.Confidential ? null : _plaintext!.Open(action, result.Output, result.Log);
            if (plain is not null && Encoding.UTF8.GetByteCount(plain.Result.GetRawText()) is var size && size > ActivationOutcome.MaxPlainResultBytes)
            {
                // OpenWhisk's status and sentence for a response over the limit (without its truncated text).
                (status, error) = (ActivationStatus.ApplicationError,
                    $"The action produced a response that exceeded the allowed length: {size} > {ActivationOutcome.MaxPlainResultBytes} bytes.");
                plain = plain with { Result = JsonSerializer.SerializeToElement(new { }) };
            }

            if (plain is not null)
            {
                (status, error, plain) = ApplicationErrorOf(status, error, plain, result);
            }

            plainResult = plain?.Result;
            var stepOutcome = new ActivationOutcome
            {
                Status = status,
                Error = error,
                SealedOutput = plain is null && result.Output.Length > 0 ? result.Output : NoBytes,
                KeepSealedOutput = !sequence || i == plan.Steps.Count,
                PlainResult = plain?.Result,
                SealedLogs = plain is not null ? plain.Logs : result.Log.Length > 0 ? result.Log : NoBytes,
                Receipts = ReceiptOf(result).Length > 0 ? [ReceiptOf(result)] : [],
                InitTimeMs = outcome.ColdStart ? outcome.SpecializeMicroseconds / 1000 : null,
                TimedOut = result.Status == InvocationStatus.Timeout,
            };
            using (ControllerTelemetry.Stages.Start("finish"))
            {
                if (unaccepted)
                {
                    _activations.ReleaseStep(activation, stepOutcome, requestId, plan.Chain, i);
                }
                else if (sequence && status == ActivationStatus.Success && i < plan.Steps.Count && action.Confidential)
                {
                    var (_, nextRecord, nextClaimed) = _activations.FinishStepAndStartNext(activation, stepOutcome, requestId, plan.Chain, i,
                        StepStart(plan, request, top, requestId, i + 1));
                    prestarted = (nextRecord.ActivationId, nextClaimed);
                }
                else if (sequence && status == ActivationStatus.Success && i == plan.Steps.Count)
                {
                    _activations.FinishLastStep(activation, stepOutcome, requestId, plan.Chain, i, top.ActivationId,
                        SequenceSuccess(plainResult is null ? result.Output : NoBytes, plainResult, receipts, cold, initMicros, stepActivations));
                    sequenceRecorded = true;
                }
                else
                {
                    _activations.FinishStep(activation, stepOutcome, requestId, plan.Chain, i);
                }
            }

            if (status != ActivationStatus.Success)
            {
                // A plaintext sequence ends with its failed component's response, as OpenWhisk's; a confidential one
                // says which step failed (its result is sealed).
                var stepError = sequence && plain is null ? $"step {i} ({action.Name}) failed: {error ?? status.ToWire()}" : error;
                return Finish(top, activation, sequence, status, stepError, stepActivations, receipts, cold, initMicros,
                    result.Output.Length > 0 && !sequence ? result.Output : NoBytes, log, plainResult) with { PlainResult = plainResult };
            }

            if (!action.Confidential && i < plan.Steps.Count)
            {
                stepRequestId = RequestId.New();
                input = _plaintext!.Forward(action, plan.Steps[i], stepRequestId, result.Output);
            }
            else
            {
                input = result.Output;
            }
        }

        if (sequence && !sequenceRecorded)
        {
            using var finish = ControllerTelemetry.Stages.Start("finish");
            _activations.Complete(top.ActivationId, SequenceSuccess(plainResult is null ? input : NoBytes, plainResult, receipts, cold, initMicros,
                stepActivations));
        }

        return new InvocationResult
        {
            ActivationId = top.ActivationId,
            Status = ActivationStatus.Success,
            SealedOutput = input,
            SealedLog = log,
            Receipts = receipts,
            StepActivations = stepActivations,
            ColdStart = cold,
            InitTimeMs = cold ? initMicros / 1000 : null,
            PlainResult = plainResult,
        };
    }

    private InvocationResult Finish(ActivationRecord top, ActivationId step, bool sequence, ActivationStatus status, string? error,
        List<ActivationId> stepActivations, List<ReadOnlyMemory<byte>> receipts, bool cold, long initMicros,
        ReadOnlyMemory<byte>? output = null, ReadOnlyMemory<byte>? log = null, JsonElement? plainResult = null)
    {
        using var stage = ControllerTelemetry.Stages.Start("finish");
        var outcome = new ActivationOutcome { Status = status, Error = error, Receipts = receipts, InitTimeMs = cold ? initMicros / 1000 : null };
        // The step's own activation is completed here only if nothing completed it yet (replay, lost enclave).
        _activations.Complete(step, outcome);
        if (sequence)
        {
            _activations.Complete(top.ActivationId, outcome with { PlainResult = plainResult, Components = stepActivations });
        }

        return new InvocationResult
        {
            ActivationId = top.ActivationId,
            Status = status,
            Error = error,
            SealedOutput = output,
            SealedLog = log,
            Receipts = receipts,
            StepActivations = stepActivations,
            ColdStart = cold,
            InitTimeMs = cold ? initMicros / 1000 : null,
        };
    }

    /// <summary>The record of step <paramref name="step"/> of a sequence, caused by the sequence's own activation.</summary>
    private static ActivationStart StepStart(InvocationPlan plan, InvocationRequest request, ActivationRecord top, RequestId requestId, int step)
    {
        var action = plan.Steps[step - 1];
        return new ActivationStart
        {
            Action = action.Name,
            Version = action.Version,
            Subject = request.Subject,
            Kind = action.Exec.Kind,
            Limits = action.Limits,
            Confidential = action.Confidential,
            CausedBy = "sequence",
            Cause = top.ActivationId,
            RequestId = requestId,
            ChainId = plan.Chain,
            Step = step,
        };
    }

    /// <summary>The outcome of a sequence whose every step succeeded.</summary>
    private static ActivationOutcome SequenceSuccess(ReadOnlyMemory<byte>? sealedOutput, JsonElement? plainResult, List<ReadOnlyMemory<byte>> receipts,
        bool cold, long initMicros, List<ActivationId> stepActivations) => new()
    {
        Status = ActivationStatus.Success,
        SealedOutput = sealedOutput,
        PlainResult = plainResult,
        Receipts = receipts,
        InitTimeMs = cold ? initMicros / 1000 : null,
        Components = stepActivations,
    };

    private static (ActivationId Id, bool Claimed) Started((ActivationRecord Record, bool Claimed) started) => (started.Record.ActivationId, started.Claimed);

    /// <summary>Why step <paramref name="step"/>'s output cannot go on (null when it is addressed to step+1 of the same chain and request).</summary>
    private static string? Misaddressed(ReadOnlySpan<byte> output, string chain, RequestId requestId, int step)
    {
        EnvelopeMetadata header;
        try
        {
            header = EnvelopeHeader.Parse(output).Metadata;
        }
        catch (EnvelopeException e)
        {
            return $"the output of step {step} is not a valid envelope ({e.Message})";
        }

        if (header.ChainId != chain || header.RequestId != requestId || header.Step != step || header.NextStep != step + 1)
        {
            return $"the output of step {step} is addressed to chain '{header.ChainId}' edge {header.Step}->{header.NextStep} of request {header.RequestId}, "
                + $"not to edge {step}->{step + 1} of chain '{chain}' request {requestId}";
        }

        return null;
    }

    /// <summary>OpenWhisk's status for an enclave result, and the platform's message for a failure.</summary>
    internal static (ActivationStatus Status, string? Error) StatusOf(ResultMessage result, Registry.ActionRecord action) => result.Status switch
    {
        InvocationStatus.Completed when result.ExitCode == 0 => (ActivationStatus.Success, null),
        InvocationStatus.Completed => (ActivationStatus.ApplicationError, ExitMessage(result.ExitCode)),
        InvocationStatus.InputRejected => (ActivationStatus.ApplicationError, result.Message),
        InvocationStatus.IntegrityViolation => (ActivationStatus.WhiskInternalError, result.Message),
        // OpenWhisk's own sentence, which its clients and users look for.
        InvocationStatus.Timeout => (ActivationStatus.DeveloperError, TimeoutMessage(action.Limits.TimeoutMs)),
        _ => (ActivationStatus.DeveloperError, result.Message),
    };

    private static string ExitMessage(int exitCode) => $"the function exited with code {exitCode}";

    /// <summary>OpenWhisk's message for an activation that ran past its time limit.</summary>
    public static string TimeoutMessage(int timeoutMs) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"The action exceeded its time limits of {timeoutMs} milliseconds.");

    /// <summary>
    /// OpenWhisk's rule for a plaintext result: an object with an <c>error</c> field is an application error whose
    /// result is <c>{"error": that field}</c>, whether the function exited with 0 or (having printed it) with another
    /// code; the platform's own message is then not put over it.
    /// </summary>
    private static (ActivationStatus, string?, PlaintextStep) ApplicationErrorOf(ActivationStatus status, string? error, PlaintextStep plain,
        ResultMessage result)
    {
        // Only the function's own verdict: not an output that failed the platform's checks (misaddressed, too large).
        var ranToEnd = result.Status == InvocationStatus.Completed
            && (status == ActivationStatus.Success || (status == ActivationStatus.ApplicationError && error == ExitMessage(result.ExitCode)));
        if (!ranToEnd || plain.Result.ValueKind != JsonValueKind.Object || !plain.Result.TryGetProperty("error", out var own))
        {
            return (status, error, plain);
        }

        var only = new System.Text.Json.Nodes.JsonObject { ["error"] = System.Text.Json.Nodes.JsonNode.Parse(own.GetRawText()) };
        return (ActivationStatus.ApplicationError, null, plain with { Result = JsonSerializer.SerializeToElement(only) });
    }

    // Null, typed: a bare null in a conditional with a ReadOnlyMemory<byte> would become an empty (non-null) memory.
    private static readonly ReadOnlyMemory<byte>? NoBytes = null;

    // The enclave's signed receipt of the step (empty for plaintext actions, whose enclaves are not KMS-attested).
    private static ReadOnlyMemory<byte> ReceiptOf(ResultMessage result) => result.Receipt;
}
