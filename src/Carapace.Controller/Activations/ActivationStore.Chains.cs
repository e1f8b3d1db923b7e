using Carapace.Envelope.Format;

namespace Carapace.Controller.Activations;

/// <summary>
/// A chain's records with one transaction per step boundary: the outcome of step <c>i</c> and the claim of step
/// <c>i+1</c> are written together (and the last step's outcome with the sequence's own), so a step costs one commit
/// instead of two. The order holds: a step's claim is recorded before it runs, its outcome before the next one runs.
/// </summary>
public sealed partial class ActivationStore
{
    /// <summary>
    /// <see cref="FinishStep"/> for a step that succeeded and, in the same transaction, <see cref="StartStep"/> for
    /// the next step of the same request and chain.
    /// </summary>
    public (CompletionResult Finished, ActivationRecord Next, bool NextClaimed) FinishStepAndStartNext(ActivationId id, ActivationOutcome outcome,
        RequestId requestId, string chainId, int step, ActivationStart next)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        ArgumentNullException.ThrowIfNull(chainId);
        ArgumentNullException.ThrowIfNull(next);
        if (outcome.Status != ActivationStatus.Success)
        {
            throw new ArgumentException("only a successful step is followed by the next one", nameof(outcome));
        }

        using var connection = _db.Open();
        using var transaction = _db.BeginWrite(connection);
        var finished = Complete(connection, id, outcome);
        MarkSucceeded(connection, requestId, chainId, step);
        var record = Insert(connection, next);
        var claimed = Claim(connection, requestId, chainId, step + 1, record.ActivationId);
        transaction.Commit();
        return (finished, record, claimed);
    }

    /// <summary>
    /// <see cref="FinishStep"/> for the last step of a sequence and, in the same transaction, completes the sequence's
    /// own activation <paramref name="sequence"/> with <paramref name="sequenceOutcome"/>.
    /// </summary>
    public CompletionResult FinishLastStep(ActivationId id, ActivationOutcome outcome, RequestId requestId, string chainId, int step,
        ActivationId sequence, ActivationOutcome sequenceOutcome)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        ArgumentNullException.ThrowIfNull(chainId);
        ArgumentNullException.ThrowIfNull(sequenceOutcome);
        using var connection = _db.Open();
        using var transaction = _db.BeginWrite(connection);
        var result = CompleteStep(connection, id, outcome, requestId, chainId, step);

        Complete(connection, sequence, sequenceOutcome);
        transaction.Commit();
        return result;
    }
}
