using System.Text.Json;
using System.Text.Json.Nodes;
using Carapace.Controller.Registry;
using Carapace.Controller.Storage;
using Carapace.Envelope;
using Carapace.Envelope.Format;
using Microsoft.Data.Sqlite;

namespace Carapace.Controller.Activations;

/// <summary>
/// Activation records and chain-step claims in a SQLite file. Confidential activations show only metadata of their
/// sealed output (size, SHA-256, key id) and keep the ciphertext of their output and logs beside it; a step of a chain runs at most once per request id,
/// because only one caller ever wins <see cref="TryClaimStep"/>; a claimed step that does not finish is turned into a
/// recorded failure, never dropped.
/// </summary>
public sealed class ActivationStore : IDisposable
{
    private const string Schema = """
        CREATE TABLE IF NOT EXISTS activations (
            seq           INTEGER PRIMARY KEY AUTOINCREMENT,
            activation_id TEXT    NOT NULL UNIQUE,
            namespace     TEXT    NOT NULL,
            name          TEXT    NOT NULL,
            version       TEXT    NOT NULL,
            subject       TEXT    NOT NULL,
            confidential  INTEGER NOT NULL,
            start_ms      INTEGER NOT NULL,
            end_ms        INTEGER,
            status        TEXT,
            result        TEXT,
            logs_size     INTEGER,
            logs_sha256   TEXT,
            annotations   TEXT    NOT NULL
        ) STRICT;
        CREATE INDEX IF NOT EXISTS activations_by_start ON activations (namespace, start_ms DESC, seq DESC);
        CREATE TABLE IF NOT EXISTS activation_logs (
            activation_id TEXT PRIMARY KEY,
            bytes         BLOB NOT NULL
        ) STRICT;
        CREATE TABLE IF NOT EXISTS activation_outputs (
            activation_id TEXT PRIMARY KEY,
            envelope      BLOB,
            receipts      TEXT NOT NULL
        ) STRICT;
        CREATE TABLE IF NOT EXISTS steps (
            request_id    TEXT    NOT NULL,
            chain_id      TEXT    NOT NULL,
            step          INTEGER NOT NULL,
            activation_id TEXT,
            state         TEXT    NOT NULL,
            error         TEXT,
            claimed_ms    INTEGER NOT NULL,
            finished_ms   INTEGER,
            PRIMARY KEY (request_id, chain_id, step)
        ) STRICT;
        """;

    private const string Columns =
        "activation_id, namespace, name, version, subject, confidential, start_ms, end_ms, status, result, logs_size, logs_sha256, annotations";

    private readonly ControllerDatabase _db;
    private readonly TimeProvider _time;

    /// <summary>Opens (creating if needed) the store in the SQLite file at <paramref name="path"/>.</summary>
    public ActivationStore(string path, TimeProvider? time = null)
    {
        _db = new ControllerDatabase(path, Schema);
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Records a pending activation starting now and returns it.</summary>
    public ActivationRecord Start(ActivationStart start)
    {
        ArgumentNullException.ThrowIfNull(start);
        using var connection = _db.Open();
        return Insert(connection, start);
    }

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
        using var transaction = connection.BeginTransaction();
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
        using var transaction = connection.BeginTransaction();
        var result = Complete(connection, id, outcome);
        if (outcome.Status == ActivationStatus.Success)
        {
            MarkSucceeded(connection, requestId, chainId, step);
        }
        else
        {
            FailSteps(connection, "request_id = $request AND chain_id = $chain AND step = $step", outcome.Error ?? outcome.Status.ToWire(),
                ("$request", requestId.ToString()), ("$chain", chainId), ("$step", step));
        }

        transaction.Commit();
        return result;
    }

    private ActivationRecord Insert(SqliteConnection connection, ActivationStart start)
    {
        var annotations = new List<KeyValue>
        {
            KeyValue.Of("path", start.Action.Path),
            KeyValue.Of("kind", start.Kind),
            KeyValue.Of("limits", new { memory = start.Limits.MemoryMiB, timeout = start.Limits.TimeoutMs }),
            KeyValue.Of("waitTime", start.WaitTimeMs),
            KeyValue.Of("confidential", start.Confidential),
        };
        if (start.CausedBy is not null)
        {
            annotations.Add(KeyValue.Of("causedBy", start.CausedBy));
        }

        if (start.ChainId is not null)
        {
            annotations.Add(KeyValue.Of("carapace.chainId", start.ChainId));
        }

        if (start.Step is { } step)
        {
            annotations.Add(KeyValue.Of("carapace.step", step));
        }

        if (start.RequestId is { } requestId)
        {
            annotations.Add(KeyValue.Of("carapace.requestId", requestId.ToString()));
        }

        var record = new ActivationRecord
        {
            ActivationId = ActivationId.New(),
            Namespace = start.Action.Namespace,
            Name = start.Action.Name,
            Version = start.Version,
            Subject = start.Subject,
            Confidential = start.Confidential,
            Start = _time.GetUtcNow(),
            Annotations = annotations,
        };

        ControllerDatabase.Execute(connection, """
            INSERT INTO activations (activation_id, namespace, name, version, subject, confidential, start_ms, annotations)
            VALUES ($id, $ns, $name, $version, $subject, $confidential, $start, $annotations)
            """,
            ("$id", record.ActivationId.ToString()), ("$ns", record.Namespace), ("$name", record.Name), ("$version", record.Version),
            ("$subject", record.Subject), ("$confidential", record.Confidential ? 1 : 0), ("$start", record.Start.ToUnixTimeMilliseconds()),
            ("$annotations", KeyValue.Serialize(annotations)));
        return record;
    }

    /// <summary>
    /// Gives a pending activation its response. The first completion wins; later ones change nothing.
    /// </summary>
    /// <exception cref="InvalidOperationException">A plaintext result was given for a confidential activation.</exception>
    public CompletionResult Complete(ActivationId id, ActivationOutcome outcome)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        using var connection = _db.Open();
        using var transaction = connection.BeginTransaction();
        var result = Complete(connection, id, outcome);
        transaction.Commit();
        return result;
    }

    /// <summary>The activation, or null.</summary>
    public ActivationRecord? Get(ActivationId id)
    {
        using var connection = _db.Open();
        return Read(connection, id);
    }

    /// <summary>The sealed log envelope of an activation, or null if it has none.</summary>
    public byte[]? GetSealedLogs(ActivationId id)
    {
        using var connection = _db.Open();
        using var command = ControllerDatabase.Command(connection, "SELECT bytes FROM activation_logs WHERE activation_id = $id",
            ("$id", id.ToString()));
        return command.ExecuteScalar() as byte[];
    }

    /// <summary>
    /// The sealed output envelope and the receipts of an activation, or null when it recorded neither (plaintext
    /// activations, failures before any step ran).
    /// </summary>
    public ActivationOutput? GetOutput(ActivationId id)
    {
        using var connection = _db.Open();
        using var command = ControllerDatabase.Command(connection, "SELECT envelope, receipts FROM activation_outputs WHERE activation_id = $id",
            ("$id", id.ToString()));
        using var reader = command.ExecuteReader();
        if (!reader.Read())
        {
            return null;
        }

        var envelope = reader.IsDBNull(0) ? null : (byte[])reader.GetValue(0);
        var receipts = JsonSerializer.Deserialize<string[]>(reader.GetString(1), Json.Options) ?? [];
        return new ActivationOutput(envelope, [.. receipts.Select(Convert.FromBase64String)]);
    }

    /// <summary>A page of a namespace's activations, newest first, optionally of one action only.</summary>
    public IReadOnlyList<ActivationRecord> List(string @namespace, string? name, PageRequest page)
    {
        using var connection = _db.Open();
        using var command = ControllerDatabase.Command(connection, $"""
            SELECT {Columns} FROM activations
            WHERE namespace = $ns AND ($name IS NULL OR name = $name)
            ORDER BY start_ms DESC, seq DESC LIMIT $limit OFFSET $skip
            """,
            ("$ns", @namespace), ("$name", name), ("$limit", page.Limit), ("$skip", page.Skip));
        using var reader = command.ExecuteReader();
        var records = new List<ActivationRecord>();
        while (reader.Read())
        {
            records.Add(ReadRecord(reader));
        }

        return records;
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

    private bool Claim(SqliteConnection connection, RequestId requestId, string chainId, int step, ActivationId? activationId) =>
        ControllerDatabase.Execute(connection, """
            INSERT INTO steps (request_id, chain_id, step, activation_id, state, claimed_ms)
            VALUES ($request, $chain, $step, $activation, 'claimed', $now)
            ON CONFLICT (request_id, chain_id, step) DO NOTHING
            """,
            ("$request", requestId.ToString()), ("$chain", chainId), ("$step", step),
            ("$activation", activationId?.ToString()), ("$now", _time.GetUtcNow().ToUnixTimeMilliseconds())) == 1;

    /// <summary>The claim of a step, or null if it was never claimed.</summary>
    public StepClaim? GetStep(RequestId requestId, string chainId, int step)
    {
        using var connection = _db.Open();
        using var command = ControllerDatabase.Command(connection, """
            SELECT activation_id, state, error, claimed_ms, finished_ms FROM steps
            WHERE request_id = $request AND chain_id = $chain AND step = $step
            """,
            ("$request", requestId.ToString()), ("$chain", chainId), ("$step", step));
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

    private bool MarkSucceeded(SqliteConnection connection, RequestId requestId, string chainId, int step) =>
        ControllerDatabase.Execute(connection, """
            UPDATE steps SET state = 'succeeded', finished_ms = $now
            WHERE request_id = $request AND chain_id = $chain AND step = $step AND state = 'claimed'
            """,
            ("$now", _time.GetUtcNow().ToUnixTimeMilliseconds()), ("$request", requestId.ToString()), ("$chain", chainId), ("$step", step)) == 1;

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
        using var transaction = connection.BeginTransaction();
        var failed = FailSteps(connection, "request_id = $request AND chain_id = $chain AND step = $step", reason,
            ("$request", requestId.ToString()), ("$chain", chainId), ("$step", step));
        transaction.Commit();
        return failed == 1;
    }

    /// <summary>
    /// Turns every step still claimed into a recorded failure (and its pending activation into a
    /// <see cref="ActivationStatus.WhiskInternalError"/>), and completes every other activation still pending (a
    /// sequence's own record, one whose completion could not be written) the same way; run at start-up, when nothing of
    /// the previous process can still be running. Returns how many steps it failed.
    /// </summary>
    public int FailAbandonedSteps(string reason)
    {
        ArgumentException.ThrowIfNullOrEmpty(reason);
        using var connection = _db.Open();
        using var transaction = connection.BeginTransaction();
        var failed = FailSteps(connection, "1 = 1", reason);
        var pending = new List<ActivationId>();
        using (var select = ControllerDatabase.Command(connection, "SELECT activation_id FROM activations WHERE status IS NULL"))
        using (var reader = select.ExecuteReader())
        {
            while (reader.Read())
            {
                pending.Add(ParseId(reader.GetString(0)));
            }
        }

        foreach (var id in pending)
        {
            Complete(connection, id, new ActivationOutcome { Status = ActivationStatus.WhiskInternalError, Error = reason });
        }

        transaction.Commit();
        return failed;
    }

    /// <summary>Closes the pooled connections to the file.</summary>
    public void Dispose() => _db.Dispose();

    private int FailSteps(SqliteConnection connection, string where, string reason, params (string, object?)[] parameters)
    {
        var activations = new List<ActivationId>();
        using (var select = ControllerDatabase.Command(connection,
                   $"SELECT activation_id FROM steps WHERE state = 'claimed' AND {where}", parameters))
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
        var failed = ControllerDatabase.Execute(connection,
            $"UPDATE steps SET state = 'failed', error = $reason, finished_ms = $now WHERE state = 'claimed' AND {where}",
            [("$reason", reason), ("$now", now), .. parameters]);
        foreach (var id in activations)
        {
            Complete(connection, id, new ActivationOutcome { Status = ActivationStatus.WhiskInternalError, Error = reason });
        }

        return failed;
    }

    private CompletionResult Complete(SqliteConnection connection, ActivationId id, ActivationOutcome outcome)
    {
        var existing = Read(connection, id);
        if (existing is null)
        {
            return CompletionResult.NotFound;
        }

        if (!existing.IsPending)
        {
            return CompletionResult.AlreadyCompleted;
        }

        if (existing.Confidential && outcome.PlainResult is not null)
        {
            throw new InvalidOperationException(
                $"Activation {id} is confidential: its result can only be a sealed envelope, never plaintext JSON.");
        }

        var result = new JsonObject();
        if (outcome.SealedOutput is { } sealedOutput)
        {
            result["sealedOutput"] = SealedMetadata(sealedOutput.Span);
        }
        else if (outcome.PlainResult is { ValueKind: JsonValueKind.Object } plain)
        {
            result = JsonObject.Create(plain)!.DeepClone().AsObject();
        }
        else if (outcome.PlainResult is { } other)
        {
            result["result"] = JsonNode.Parse(other.GetRawText());
        }

        if (outcome.Error is not null)
        {
            result["error"] = outcome.Error;
        }

        var annotations = existing.Annotations.ToList();
        if (outcome.InitTimeMs is { } initTime)
        {
            annotations.Add(KeyValue.Of("initTime", initTime));
        }

        BlobDigest? logs = null;
        if (outcome.SealedLogs is { } sealedLogs)
        {
            logs = BlobDigest.Of(sealedLogs.Span);
            ControllerDatabase.Execute(connection, "INSERT OR REPLACE INTO activation_logs (activation_id, bytes) VALUES ($id, $bytes)",
                ("$id", id.ToString()), ("$bytes", sealedLogs.ToArray()));
        }

        if (outcome.SealedOutput is not null || outcome.Receipts.Count > 0)
        {
            ControllerDatabase.Execute(connection, "INSERT OR REPLACE INTO activation_outputs (activation_id, envelope, receipts) VALUES ($id, $envelope, $receipts)",
                ("$id", id.ToString()), ("$envelope", outcome.SealedOutput?.ToArray()),
                ("$receipts", JsonSerializer.Serialize(outcome.Receipts.Select(r => Convert.ToBase64String(r.Span)).ToArray(), Json.Options)));
        }

        var end = Math.Max(_time.GetUtcNow().ToUnixTimeMilliseconds(), existing.Start.ToUnixTimeMilliseconds());
        ControllerDatabase.Execute(connection, """
            UPDATE activations SET end_ms = $end, status = $status, result = $result, logs_size = $logsSize, logs_sha256 = $logsSha,
                annotations = $annotations
            WHERE activation_id = $id AND status IS NULL
            """,
            ("$end", end), ("$status", outcome.Status.ToWire()), ("$result", result.ToJsonString()), ("$logsSize", logs?.Size),
            ("$logsSha", logs?.Sha256), ("$annotations", KeyValue.Serialize(annotations)), ("$id", id.ToString()));
        return CompletionResult.Completed;
    }

    private static JsonObject SealedMetadata(ReadOnlySpan<byte> envelope)
    {
        var digest = BlobDigest.Of(envelope);
        var metadata = new JsonObject { ["size"] = digest.Size, ["sha256"] = digest.Sha256 };
        try
        {
            metadata["keyId"] = EnvelopeHeader.Parse(envelope).Metadata.KeyId.ToString();
        }
        catch (EnvelopeException)
        {
            // The worker is untrusted: a malformed header is recorded as such rather than trusted or dropped.
            metadata["keyId"] = null;
            metadata["malformed"] = true;
        }

        return metadata;
    }

    private static ActivationRecord? Read(SqliteConnection connection, ActivationId id)
    {
        using var command = ControllerDatabase.Command(connection, $"SELECT {Columns} FROM activations WHERE activation_id = $id",
            ("$id", id.ToString()));
        using var reader = command.ExecuteReader();
        return reader.Read() ? ReadRecord(reader) : null;
    }

    private static ActivationRecord ReadRecord(SqliteDataReader reader)
    {
        ActivationResponse? response = null;
        if (!reader.IsDBNull(8))
        {
            if (!ActivationStatusText.TryParse(reader.GetString(8), out var status))
            {
                throw new InvalidDataException($"stored activation status '{reader.GetString(8)}' is unknown");
            }

            using var result = JsonDocument.Parse(reader.GetString(9));
            response = new ActivationResponse(status, result.RootElement.Clone());
        }

        return new ActivationRecord
        {
            ActivationId = ParseId(reader.GetString(0)),
            Namespace = reader.GetString(1),
            Name = reader.GetString(2),
            Version = reader.GetString(3),
            Subject = reader.GetString(4),
            Confidential = reader.GetInt64(5) != 0,
            Start = DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(6)),
            End = reader.IsDBNull(7) ? null : DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(7)),
            Response = response,
            Logs = reader.IsDBNull(10) ? null : new BlobDigest(reader.GetInt64(10), reader.GetString(11)),
            Annotations = KeyValue.Deserialize(reader.GetString(12)),
        };
    }

    private static ActivationId ParseId(string text) =>
        ActivationId.TryParse(text, out var id) ? id : throw new InvalidDataException($"stored activation id '{text}' is malformed");
}
