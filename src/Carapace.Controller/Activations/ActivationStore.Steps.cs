using System.Data.Common;
using Carapace.Controller.Storage;
using Carapace.Envelope.Format;

namespace Carapace.Controller.Activations;

/// <summary>The chain-step claims: at most one run of each (request id, chain, step).</summary>
public sealed partial class ActivationStore
{
    /// <summary>
    /// Records a pending activation for step <paramref name="step"/> of a request and claims the step for it, in one
    /// transaction: <c>Claimed</c> is false when the step was claimed before (see <see cref="TryClaimStep"/>); the
    /// activation is recorded either way, so that a refused replay leaves a trace.
    /// </summary>
    public (ActivationRecord Record, bool Claimed) StartStep(ActivationStart start, RequestId requestId, string chainId, int step)
    {
        ArgumentNullException.ThrowIfNull(start);
        ArgumentNullException.ThrowIfNull(chainId);
        using var connection = _db.Open();
        using var transaction = _db.BeginWrite(connection);
        var record = Insert(connection, start);
        var claimed = Claim(connection, requestId, chainId, step, record.ActivationId);
        transaction.Commit();
        return (record, claimed);
    }

    /// <summary>
    /// Completes a step's activation with <paramref name="outcome"/> and, in the same transaction, finishes its claim:
    /// succeeded for a successful outcome, otherwise failed with the outcome's error.
    /// </summary>
    public CompletionResult FinishStep(ActivationId id, ActivationOutcome outcome, RequestId requestId, string chainId, int step)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        ArgumentNullException.ThrowIfNull(chainId);
        using var connection = _db.Open();
        using var transaction = _db.BeginWrite(connection);
        var result = CompleteStep(connection, id, outcome, requestId, chainId, step);

        transaction.Commit();
        return result;
    }

    /// <summary>Inside the caller's transaction: completes a step's activation and finishes its claim by its outcome.</summary>
    private CompletionResult CompleteStep(DbConnection connection, ActivationId id, ActivationOutcome outcome, RequestId requestId,
        string chainId, int step)
    {
        var result = Complete(connection, id, outcome);
        if (outcome.Status == ActivationStatus.Success)
        {
            MarkSucceeded(connection, requestId, chainId, step);
        }
        else
        {
            FailSteps(connection, "request_id = @request AND chain_id = @chain AND step = @step", outcome.Error ?? outcome.Status.ToWire(),
                ("@request", requestId.ToString()), ("@chain", chainId), ("@step", step));
        }

        return result;
    }

    /// <summary>
    /// Completes a step's activation with <paramref name="outcome"/> (a refusal) and, in the same transaction,
    /// withdraws the step's claim if that activation holds it, so that a later copy of the request may claim the step:
    /// for an input the enclave refused without accepting its request id (it did not authenticate, was too large, or
    /// the enclave held no key for it), and for an activation the platform never ran. True if the claim was withdrawn.
    /// </summary>
    /// <remarks>
    /// A request id is used up only by an input an enclave accepted as authentic; otherwise whoever delivers a damaged
    /// copy first would get the genuine one refused. The refused activation stays recorded.
    /// </remarks>
    public bool ReleaseStep(ActivationId id, ActivationOutcome outcome, RequestId requestId, string chainId, int step)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        ArgumentNullException.ThrowIfNull(chainId);
        using var connection = _db.Open();
        using var transaction = _db.BeginWrite(connection);
        Complete(connection, id, outcome);
        var released = StoreDatabase.Execute(connection, """
            DELETE FROM steps
            WHERE request_id = @request AND chain_id = @chain AND step = @step AND state = 'claimed' AND activation_id = @activation
            """,
            ("@request", requestId.ToString()), ("@chain", chainId), ("@step", step), ("@activation", id.ToString())) == 1;
        transaction.Commit();
        return released;
    }

    /// <summary>
    /// Claims the execution of one step of one request: true for exactly one caller per (request id, chain, step),
    /// across threads, processes sharing the file and restarts; false for every retry or replay after it.
    /// </summary>
    public bool TryClaimStep(RequestId requestId, string chainId, int step, ActivationId? activationId = null)
    {
        ArgumentNullException.ThrowIfNull(chainId);
        using var connection = _db.Open();
        return Claim(connection, requestId, chainId, step, activationId);
    }

    private bool Claim(DbConnection connection, RequestId requestId, string chainId, int step, ActivationId? activationId) =>
        StoreDatabase.Execute(connection, """
            INSERT INTO steps (request_id, chain_id, step, activation_id, state, claimed_ms)
            VALUES (@request, @chain, @step, @activation, 'claimed', @now)
            ON CONFLICT (request_id, chain_id, step) DO NOTHING
            """,
            ("@request", requestId.ToString()), ("@chain", chainId), ("@step", step),
            ("@activation", activationId?.ToString()), ("@now", _time.GetUtcNow().ToUnixTimeMilliseconds())) == 1;

    /// <summary>The claim of a step, or null if it was never claimed.</summary>
    public StepClaim? GetStep(RequestId requestId, string chainId, int step)
    {
        using var connection = _db.Open();
        using var command = StoreDatabase.Command(connection, """
            SELECT activation_id, state, error, claimed_ms, finished_ms FROM steps
            WHERE request_id = @request AND chain_id = @chain AND step = @step
            """,
            ("@request", requestId.ToString()), ("@chain", chainId), ("@step", step));
        using var reader = command.ExecuteReader();
        if (!reader.Read())
        {
            return null;
        }

        return new StepClaim
        {
            RequestId = requestId,
            ChainId = chainId,
            Step = step,
            ActivationId = reader.IsDBNull(0) ? null : ParseId(reader.GetString(0)),
            State = Enum.Parse<StepState>(reader.GetString(1), ignoreCase: true),
            Error = reader.IsDBNull(2) ? null : reader.GetString(2),
            Claimed = DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(3)),
            Finished = reader.IsDBNull(4) ? null : DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(4)),
        };
    }

    /// <summary>Marks a claimed step as finished; false if it was not claimed or already finished.</summary>
    public bool CompleteStep(RequestId requestId, string chainId, int step)
    {
        using var connection = _db.Open();
        return MarkSucceeded(connection, requestId, chainId, step);
    }

    private bool MarkSucceeded(DbConnection connection, RequestId requestId, string chainId, int step) =>
        StoreDatabase.Execute(connection, """
            UPDATE steps SET state = 'succeeded', finished_ms = @now
            WHERE request_id = @request AND chain_id = @chain AND step = @step AND state = 'claimed'
            """,
            ("@now", _time.GetUtcNow().ToUnixTimeMilliseconds()), ("@request", requestId.ToString()), ("@chain", chainId), ("@step", step)) == 1;

    /// <summary>
    /// Records that a claimed step failed (its enclave crashed, its worker vanished): the step becomes
    /// <see cref="StepState.Failed"/> with <paramref name="reason"/>, and its activation, if still pending, completes
    /// as <see cref="ActivationStatus.WhiskInternalError"/> with the same reason. The step stays claimed, so it is not
    /// run again for this request id. False if the step was not claimed or already finished.
    /// </summary>
    public bool RecordStepFailure(RequestId requestId, string chainId, int step, string reason)
    {
        ArgumentException.ThrowIfNullOrEmpty(reason);
        using var connection = _db.Open();
        using var transaction = _db.BeginWrite(connection);
        var failed = FailSteps(connection, "request_id = @request AND chain_id = @chain AND step = @step", reason,
            ("@request", requestId.ToString()), ("@chain", chainId), ("@step", step));
        transaction.Commit();
        return failed == 1;
    }

    /// <summary>
    /// Turns every step still claimed into a recorded failure (and its pending activation into a
    /// <see cref="ActivationStatus.WhiskInternalError"/>); run at start-up, when no step of the previous process can
    /// still be running. Returns how many steps it failed.
    /// </summary>
    public int FailAbandonedSteps(string reason)
    {
        ArgumentException.ThrowIfNullOrEmpty(reason);
        using var connection = _db.Open();
        using var transaction = _db.BeginWrite(connection);
        var failed = FailSteps(connection, "1 = 1", reason);
        transaction.Commit();
        return failed;
    }

    /// <summary>
    /// Completes every activation still pending as a <see cref="ActivationStatus.WhiskInternalError"/> with
    /// <paramref name="reason"/>: those a previous process accepted (a non-blocking invocation waiting in its queue, a
    /// sequence between steps) but never finished. Run at start-up after <see cref="FailAbandonedSteps"/>, when nothing
    /// of the previous process can still be running. Returns how many it completed.
    /// </summary>
    public int FailAbandonedActivations(string reason)
    {
        ArgumentException.ThrowIfNullOrEmpty(reason);
        using var connection = _db.Open();
        using var transaction = _db.BeginWrite(connection);
        var pending = new List<ActivationId>();
        using (var select = StoreDatabase.Command(connection, "SELECT activation_id FROM activations WHERE status IS NULL" + _db.LockRows("activations")))
        using (var reader = select.ExecuteReader())
        {
            while (reader.Read())
            {
                pending.Add(ParseId(reader.GetString(0)));
            }
        }

        var outcome = new ActivationOutcome { Status = ActivationStatus.WhiskInternalError, Error = reason };
        var completed = pending.Count(id => Complete(connection, id, outcome) == CompletionResult.Completed);
        transaction.Commit();
        return completed;
    }

    private int FailSteps(DbConnection connection, string where, string reason, params (string, object?)[] parameters)
    {
        var activations = new List<ActivationId>();
        using (var select = StoreDatabase.Command(connection,
                   $"SELECT activation_id FROM steps WHERE state = 'claimed' AND {where}" + _db.LockRows("steps"), parameters))
        using (var reader = select.ExecuteReader())
        {
            while (reader.Read())
            {
                if (!reader.IsDBNull(0))
                {
                    activations.Add(ParseId(reader.GetString(0)));
                }
            }
        }

        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        var failed = StoreDatabase.Execute(connection,
            $"UPDATE steps SET state = 'failed', error = @reason, finished_ms = @now WHERE state = 'claimed' AND {where}",
            [("@reason", reason), ("@now", now), .. parameters]);
        foreach (var id in activations)
        {
            Complete(connection, id, new ActivationOutcome { Status = ActivationStatus.WhiskInternalError, Error = reason });
        }

        return failed;
    }
}
