using System.Data.Common;
using System.Text.Json;
using System.Text.Json.Nodes;
using Carapace.Controller.Registry;
using Carapace.Controller.Storage;
using Carapace.Envelope;
using Carapace.Envelope.Format;

namespace Carapace.Controller.Activations;

/// <summary>
/// Activation records and chain-step claims in the controller's database (a SQLite file, or PostgreSQL in cluster mode). Confidential activations show only metadata of their
/// sealed output (size, SHA-256, key id) and keep the ciphertext of their output and logs beside it; a step of a chain runs at most once per request id,
/// because only one caller ever wins <see cref="TryClaimStep"/>; a claimed step that does not finish is turned into a
/// recorded failure, never dropped.
/// </summary>
public sealed partial class ActivationStore : IDisposable
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
        CREATE TABLE IF NOT EXISTS activation_links (
            activation_id TEXT PRIMARY KEY,
            cause         TEXT,
            components    TEXT
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
        "activation_id, namespace, name, version, subject, confidential, start_ms, end_ms, status, result, logs_size, logs_sha256, annotations, "
        + "cause, components";

    // Every activation with its links (the sequence that caused it, the components it ran), if it has any.
    private const string Source = "activations LEFT JOIN activation_links USING (activation_id)";

    private readonly StoreDatabase _db;
    private readonly bool _ownsDatabase;
    private readonly TimeProvider _time;

    /// <summary>Opens (creating if needed) the store in the SQLite file at <paramref name="path"/>.</summary>
    public ActivationStore(string path, TimeProvider? time = null)
        : this(new ControllerDatabase(path, Schema), ownsDatabase: true, time)
    {
    }

    /// <summary>
    /// Opens the store in <paramref name="database"/>, whose schema its owner has already created (cluster mode's
    /// PostgreSQL); disposing the store leaves the database open.
    /// </summary>
    public ActivationStore(StoreDatabase database, TimeProvider? time = null)
        : this(database, ownsDatabase: false, time)
    {
    }

    private ActivationStore(StoreDatabase database, bool ownsDatabase, TimeProvider? time)
    {
        ArgumentNullException.ThrowIfNull(database);
        _db = database;
        _ownsDatabase = ownsDatabase;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Records a pending activation starting now and returns it.</summary>
    public ActivationRecord Start(ActivationStart start)
    {
        ArgumentNullException.ThrowIfNull(start);
        using var connection = _db.Open();
        return Insert(connection, start);
    }

    private ActivationRecord Insert(DbConnection connection, ActivationStart start)
    {
        var annotations = new List<KeyValue>
        {
            KeyValue.Of("path", start.Action.Path),
            KeyValue.Of("kind", start.Kind),
            KeyValue.Of("limits", new
            {
                timeout = start.Limits.TimeoutMs, memory = start.Limits.MemoryMiB, logs = ActionLimits.LogsMb, concurrency = ActionLimits.Concurrency,
            }),
            KeyValue.Of("waitTime", start.WaitTimeMs),
            KeyValue.Of("confidential", start.Confidential),
        };
        if (start.Topmost is { } topmost)
        {
            annotations.Add(KeyValue.Of("topmost", topmost));
        }

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
            Cause = start.Cause,
        };

        StoreDatabase.Execute(connection, """
            INSERT INTO activations (activation_id, namespace, name, version, subject, confidential, start_ms, annotations)
            VALUES (@id, @ns, @name, @version, @subject, @confidential, @start, @annotations)
            """,
            ("@id", record.ActivationId.ToString()), ("@ns", record.Namespace), ("@name", record.Name), ("@version", record.Version),
            ("@subject", record.Subject), ("@confidential", record.Confidential ? 1 : 0), ("@start", record.Start.ToUnixTimeMilliseconds()),
            ("@annotations", KeyValue.Serialize(annotations)));
        if (start.Cause is { } cause)
        {
            StoreDatabase.Execute(connection, "INSERT INTO activation_links (activation_id, cause) VALUES (@id, @cause)",
                ("@id", record.ActivationId.ToString()), ("@cause", cause.ToString()));
        }

        return record;
    }

    /// <summary>
    /// Marks a pending activation that waited in the admission queue as started now, after <paramref name="waitTimeMs"/>
    /// milliseconds of waiting (OpenWhisk's <c>start</c> and <c>waitTime</c>); false if it is not pending.
    /// </summary>
    public bool MarkStarted(ActivationId id, long waitTimeMs)
    {
        using var connection = _db.Open();
        using var transaction = _db.BeginWrite(connection);
        if (Read(connection, id, forUpdate: true) is not { IsPending: true } existing)
        {
            return false;
        }

        var annotations = existing.Annotations.Select(a => a.Key == "waitTime" ? KeyValue.Of("waitTime", waitTimeMs) : a).ToList();
        StoreDatabase.Execute(connection,
            "UPDATE activations SET start_ms = @start, annotations = @annotations WHERE activation_id = @id AND status IS NULL",
            ("@start", Math.Max(_time.GetUtcNow().ToUnixTimeMilliseconds(), existing.Start.ToUnixTimeMilliseconds())),
            ("@annotations", KeyValue.Serialize(annotations)), ("@id", id.ToString()));
        transaction.Commit();
        return true;
    }

    /// <summary>
    /// Gives a pending activation its response. The first completion wins; later ones change nothing.
    /// </summary>
    /// <exception cref="InvalidOperationException">A plaintext result was given for a confidential activation.</exception>
    public CompletionResult Complete(ActivationId id, ActivationOutcome outcome)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        using var connection = _db.Open();
        using var transaction = _db.BeginWrite(connection);
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
        using var command = StoreDatabase.Command(connection, "SELECT bytes FROM activation_logs WHERE activation_id = @id",
            ("@id", id.ToString()));
        return command.ExecuteScalar() as byte[];
    }

    /// <summary>
    /// The sealed output envelope and the receipts of an activation, or null when it recorded neither (plaintext
    /// activations, failures before any step ran).
    /// </summary>
    public ActivationOutput? GetOutput(ActivationId id)
    {
        using var connection = _db.Open();
        using var command = StoreDatabase.Command(connection, "SELECT envelope, receipts FROM activation_outputs WHERE activation_id = @id",
            ("@id", id.ToString()));
        using var reader = command.ExecuteReader();
        if (!reader.Read())
        {
            return null;
        }

        var envelope = reader.IsDBNull(0) ? null : (byte[])reader.GetValue(0);
        var receipts = JsonSerializer.Deserialize<string[]>(reader.GetString(1), Json.Options) ?? [];
        return new ActivationOutput(envelope, [.. receipts.Select(Convert.FromBase64String)]);
    }

    /// <summary>
    /// A page of a namespace's activations, newest first, optionally of one action only and only those that started
    /// in [<paramref name="since"/>, <paramref name="upto"/>] (both inclusive, as OpenWhisk's <c>since</c> and <c>upto</c>).
    /// </summary>
    public IReadOnlyList<ActivationRecord> List(string @namespace, string? name, PageRequest page,
        DateTimeOffset? since = null, DateTimeOffset? upto = null)
    {
        using var connection = _db.Open();
        using var command = StoreDatabase.Command(connection, $"""
            SELECT {Columns} FROM {Source}
            WHERE {Filter}
            ORDER BY start_ms DESC, seq DESC LIMIT @limit OFFSET @skip
            """,
            [.. FilterArguments(@namespace, name, since, upto), ("@limit", page.Limit), ("@skip", page.Skip)]);
        using var reader = command.ExecuteReader();
        var records = new List<ActivationRecord>();
        while (reader.Read())
        {
            records.Add(ReadRecord(reader));
        }

        return records;
    }

    /// <summary>
    /// How many activations <see cref="List"/> would find past the first <paramref name="skip"/> without a page limit
    /// (OpenWhisk's <c>count=true</c>).
    /// </summary>
    public long Count(string @namespace, string? name, int skip, DateTimeOffset? since = null, DateTimeOffset? upto = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(skip);
        using var connection = _db.Open();
        using var command = StoreDatabase.Command(connection, $"SELECT count(*) FROM activations WHERE {Filter}",
            FilterArguments(@namespace, name, since, upto));
        return Math.Max(0, (long)command.ExecuteScalar()! - skip);
    }

    private const string Filter =
        "namespace = @ns AND (CAST(@name AS TEXT) IS NULL OR name = @name) AND (CAST(@since AS BIGINT) IS NULL OR start_ms >= @since) "
        + "AND (CAST(@upto AS BIGINT) IS NULL OR start_ms <= @upto)";

    private static (string, object?)[] FilterArguments(string @namespace, string? name, DateTimeOffset? since, DateTimeOffset? upto) =>
        [("@ns", @namespace), ("@name", name), ("@since", since?.ToUnixTimeMilliseconds()), ("@upto", upto?.ToUnixTimeMilliseconds())];

    /// <summary>Stops retention, if it runs, and closes the pooled connections to the file.</summary>
    public void Dispose()
    {
        _pruner?.Dispose();
        if (_ownsDatabase)
        {
            _db.Dispose();
        }
    }

    private CompletionResult Complete(DbConnection connection, ActivationId id, ActivationOutcome outcome)
    {
        var existing = Read(connection, id, forUpdate: true);
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
        if (outcome.TimedOut is { } timedOut)
        {
            annotations.Add(KeyValue.Of("timeout", timedOut));
        }

        if (outcome.InitTimeMs is { } initTime)
        {
            annotations.Add(KeyValue.Of("initTime", initTime));
        }

        BlobDigest? logs = null;
        if (outcome.SealedLogs is { } sealedLogs)
        {
            logs = BlobDigest.Of(sealedLogs.Span);
            StoreDatabase.Execute(connection, "INSERT INTO activation_logs (activation_id, bytes) VALUES (@id, @bytes) ON CONFLICT (activation_id) DO UPDATE SET bytes = excluded.bytes",
                ("@id", id.ToString()), ("@bytes", sealedLogs.ToArray()));
        }

        if (outcome.SealedOutput is not null || outcome.Receipts.Count > 0)
        {
            StoreDatabase.Execute(connection, """
                INSERT INTO activation_outputs (activation_id, envelope, receipts) VALUES (@id, @envelope, @receipts)
                ON CONFLICT (activation_id) DO UPDATE SET envelope = excluded.envelope, receipts = excluded.receipts
                """,
                ("@id", id.ToString()), ("@envelope", outcome.KeepSealedOutput ? outcome.SealedOutput?.ToArray() : null),
                ("@receipts", JsonSerializer.Serialize(outcome.Receipts.Select(r => Convert.ToBase64String(r.Span)).ToArray(), Json.Options)));
        }

        if (outcome.Components is { } components)
        {
            StoreDatabase.Execute(connection, """
                INSERT INTO activation_links (activation_id, components) VALUES (@id, @components)
                ON CONFLICT (activation_id) DO UPDATE SET components = excluded.components
                """,
                ("@id", id.ToString()), ("@components", JsonSerializer.Serialize(components.Select(c => c.ToString()).ToArray(), Json.Options)));
        }

        var end = Math.Max(_time.GetUtcNow().ToUnixTimeMilliseconds(), existing.Start.ToUnixTimeMilliseconds());
        StoreDatabase.Execute(connection, """
            UPDATE activations SET end_ms = @end, status = @status, result = @result, logs_size = @logsSize, logs_sha256 = @logsSha,
                annotations = @annotations
            WHERE activation_id = @id AND status IS NULL
            """,
            ("@end", end), ("@status", outcome.Status.ToWire()), ("@result", result.ToJsonString()), ("@logsSize", logs?.Size),
            ("@logsSha", logs?.Sha256), ("@annotations", KeyValue.Serialize(annotations)), ("@id", id.ToString()));
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

    private ActivationRecord? Read(DbConnection connection, ActivationId id, bool forUpdate = false)
    {
        var sql = $"SELECT {Columns} FROM {Source} WHERE activation_id = @id" + (forUpdate ? _db.LockRows("activations") : "");
        using var command = StoreDatabase.Command(connection, sql, ("@id", id.ToString()));
        using var reader = command.ExecuteReader();
        return reader.Read() ? ReadRecord(reader) : null;
    }

    private static ActivationRecord ReadRecord(DbDataReader reader)
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
            Cause = reader.IsDBNull(13) ? null : ParseId(reader.GetString(13)),
            Components = reader.IsDBNull(14) ? null
                : [.. (JsonSerializer.Deserialize<string[]>(reader.GetString(14), Json.Options) ?? []).Select(ParseId)],
        };
    }

    private static ActivationId ParseId(string text) =>
        ActivationId.TryParse(text, out var id) ? id : throw new InvalidDataException($"stored activation id '{text}' is malformed");
}
