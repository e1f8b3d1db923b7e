using System.Data.Common;
using System.Globalization;
using Carapace.Controller.Registry;
using Carapace.Controller.Storage;

namespace Carapace.Controller.Triggers;

/// <summary>
/// Triggers and rules with OpenWhisk's semantics, in the controller's SQLite file beside the actions (tables
/// <c>triggers</c> and <c>rules</c>; opened beside an <see cref="ActionRegistry"/>, which creates the namespaces). A
/// rule links a trigger of its namespace to an action and is active or inactive; a new rule is active. Deleting a
/// trigger leaves its rules in place but inactive (OpenWhisk keeps a rule's status in its trigger, so a re-created
/// trigger starts with none active); deleting an action leaves its rules in place, and firing records the failure.
/// Holds public deployment metadata only.
/// </summary>
public sealed partial class TriggerRegistry : IDisposable
{
    /// <summary>The most rules one trigger may have, so that one firing starts a bounded number of invocations.</summary>
    public const int MaxRulesPerTrigger = 100;

    private const string Schema = """
        CREATE TABLE IF NOT EXISTS triggers (
            namespace   TEXT    NOT NULL,
            name        TEXT    NOT NULL,
            version     TEXT    NOT NULL,
            annotations TEXT    NOT NULL,
            parameters  TEXT    NOT NULL,
            publish     INTEGER NOT NULL,
            updated_at  INTEGER NOT NULL,
            PRIMARY KEY (namespace, name)
        ) STRICT;
        CREATE INDEX IF NOT EXISTS triggers_by_update ON triggers (namespace, updated_at DESC, name);
        CREATE TABLE IF NOT EXISTS rules (
            namespace   TEXT    NOT NULL,
            name        TEXT    NOT NULL,
            version     TEXT    NOT NULL,
            trigger     TEXT    NOT NULL,
            action      TEXT    NOT NULL,
            status      TEXT    NOT NULL,
            annotations TEXT    NOT NULL,
            publish     INTEGER NOT NULL,
            updated_at  INTEGER NOT NULL,
            PRIMARY KEY (namespace, name)
        ) STRICT;
        CREATE INDEX IF NOT EXISTS rules_by_update ON rules (namespace, updated_at DESC, name);
        CREATE INDEX IF NOT EXISTS rules_by_trigger ON rules (namespace, trigger, name);
        """;

    private const string TriggerColumns = "namespace, name, version, annotations, parameters, publish, updated_at";
    private const string RuleColumns = "namespace, name, version, trigger, action, status, annotations, publish, updated_at";

    private readonly StoreDatabase _db;
    private readonly bool _ownsDatabase;
    private readonly TimeProvider _time;

    /// <summary>Opens (creating if needed) the registry in the SQLite file at <paramref name="path"/>.</summary>
    public TriggerRegistry(string path, TimeProvider? time = null)
        : this(new ControllerDatabase(path, Schema), ownsDatabase: true, time)
    {
    }

    /// <summary>
    /// Opens the registry in <paramref name="database"/>, whose schema its owner has already created (cluster mode's
    /// PostgreSQL); disposing the registry leaves the database open.
    /// </summary>
    public TriggerRegistry(StoreDatabase database, TimeProvider? time = null)
        : this(database, ownsDatabase: false, time)
    {
    }

    private TriggerRegistry(StoreDatabase database, bool ownsDatabase, TimeProvider? time)
    {
        ArgumentNullException.ThrowIfNull(database);
        _db = database;
        _ownsDatabase = ownsDatabase;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Creates a trigger, or replaces it when <paramref name="overwrite"/> (properties left null keep their stored value).</summary>
    public PutEntityResult<TriggerRecord> PutTrigger(string @namespace, string name, TriggerDefinition definition, bool overwrite)
    {
        ArgumentNullException.ThrowIfNull(definition);
        var errors = new List<string>();
        if (definition.Annotations is { } annotations)
        {
            errors.AddRange(KeyValueRules.Check("annotations", annotations));
        }

        if (definition.Parameters is { } parameters)
        {
            errors.AddRange(KeyValueRules.Check("parameters", parameters));
        }

        if (errors.Count > 0)
        {
            return PutEntityResult<TriggerRecord>.Fail(PutEntityStatus.Invalid, string.Join(" ", errors));
        }

        using var connection = _db.Open();
        using var transaction = _db.BeginWrite(connection, StoreSql.RegistryScope);
        if (!NamespaceExists(connection, @namespace))
        {
            return PutEntityResult<TriggerRecord>.Fail(PutEntityStatus.NamespaceNotFound, $"The namespace '{@namespace}' does not exist.");
        }

        var existing = ReadTrigger(connection, @namespace, name);
        if (existing is not null && !overwrite)
        {
            return PutEntityResult<TriggerRecord>.Fail(PutEntityStatus.Conflict,
                $"The trigger /{@namespace}/{name} already exists (version {existing.Version}); PUT with overwrite=true to update it.");
        }

        var record = new TriggerRecord
        {
            Namespace = @namespace,
            Name = name,
            Version = existing is null ? "0.0.1" : NextVersion(existing.Version),
            Annotations = definition.Annotations ?? existing?.Annotations ?? [],
            Parameters = definition.Parameters ?? existing?.Parameters ?? [],
            Publish = definition.Publish ?? existing?.Publish ?? false,
            Updated = _time.GetUtcNow(),
        };
        StoreDatabase.Execute(connection, $"""
            INSERT INTO triggers ({TriggerColumns}) VALUES (@ns, @name, @version, @annotations, @parameters, @publish, @updated)
            ON CONFLICT (namespace, name) DO UPDATE SET {StoreSql.Updates(TriggerColumns, "namespace", "name")}
            """,
            ("@ns", record.Namespace), ("@name", record.Name), ("@version", record.Version),
            ("@annotations", KeyValue.Serialize(record.Annotations)), ("@parameters", KeyValue.Serialize(record.Parameters)),
            ("@publish", record.Publish ? 1 : 0), ("@updated", record.Updated.ToUnixTimeMilliseconds()));
        transaction.Commit();
        return new PutEntityResult<TriggerRecord>(existing is null ? PutEntityStatus.Created : PutEntityStatus.Updated, record, null);
    }

    /// <summary>The trigger, or null.</summary>
    public TriggerRecord? GetTrigger(string @namespace, string name)
    {
        using var connection = _db.Open();
        return ReadTrigger(connection, @namespace, name);
    }

    /// <summary>A page of a namespace's triggers, most recently updated first.</summary>
    public IReadOnlyList<TriggerRecord> ListTriggers(string @namespace, PageRequest page)
    {
        using var connection = _db.Open();
        using var command = StoreDatabase.Command(connection,
            $"SELECT {TriggerColumns} FROM triggers WHERE namespace = @ns ORDER BY updated_at DESC, name LIMIT @limit OFFSET @skip",
            ("@ns", @namespace), ("@limit", page.Limit), ("@skip", page.Skip));
        using var reader = command.ExecuteReader();
        var records = new List<TriggerRecord>();
        while (reader.Read())
        {
            records.Add(ReadTriggerRecord(reader));
        }

        return records;
    }

    /// <summary>How many triggers a namespace has past the first <paramref name="skip"/>.</summary>
    public long CountTriggers(string @namespace, int skip = 0) => CountIn("triggers", @namespace, skip);

    /// <summary>Deletes a trigger and makes its rules inactive; returns the deleted trigger or null.</summary>
    public TriggerRecord? DeleteTrigger(string @namespace, string name)
    {
        using var connection = _db.Open();
        using var transaction = _db.BeginWrite(connection, StoreSql.RegistryScope);
        var existing = ReadTrigger(connection, @namespace, name);
        if (existing is null)
        {
            return null;
        }

        StoreDatabase.Execute(connection, "DELETE FROM triggers WHERE namespace = @ns AND name = @name", ("@ns", @namespace), ("@name", name));
        StoreDatabase.Execute(connection, "UPDATE rules SET status = 'inactive' WHERE namespace = @ns AND trigger = @name",
            ("@ns", @namespace), ("@name", name));
        transaction.Commit();
        return existing;
    }

    /// <summary>The rules of a trigger (at most <see cref="MaxRulesPerTrigger"/>), by name.</summary>
    public IReadOnlyList<RuleRecord> RulesOf(string @namespace, string trigger)
    {
        using var connection = _db.Open();
        return RulesOf(connection, @namespace, trigger);
    }

    /// <summary>Closes the pooled connections to the file.</summary>
    public void Dispose()
    {
        if (_ownsDatabase)
        {
            _db.Dispose();
        }
    }

    private static IReadOnlyList<RuleRecord> RulesOf(DbConnection connection, string @namespace, string trigger)
    {
        using var command = StoreDatabase.Command(connection,
            $"SELECT {RuleColumns} FROM rules WHERE namespace = @ns AND trigger = @trigger ORDER BY name LIMIT {MaxRulesPerTrigger}",
            ("@ns", @namespace), ("@trigger", trigger));
        using var reader = command.ExecuteReader();
        var rules = new List<RuleRecord>();
        while (reader.Read())
        {
            rules.Add(ReadRuleRecord(reader));
        }

        return rules;
    }

    private long CountIn(string table, string @namespace, int skip)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(skip);
        using var connection = _db.Open();
        using var command = StoreDatabase.Command(connection, $"SELECT count(*) FROM {table} WHERE namespace = @ns", ("@ns", @namespace));
        return Math.Max(0, (long)command.ExecuteScalar()! - skip);
    }

    private static TriggerRecord? ReadTrigger(DbConnection connection, string @namespace, string name)
    {
        using var command = StoreDatabase.Command(connection, $"SELECT {TriggerColumns} FROM triggers WHERE namespace = @ns AND name = @name",
            ("@ns", @namespace), ("@name", name));
        using var reader = command.ExecuteReader();
        return reader.Read() ? ReadTriggerRecord(reader) : null;
    }

    private static TriggerRecord ReadTriggerRecord(DbDataReader reader) => new()
    {
        Namespace = reader.GetString(0),
        Name = reader.GetString(1),
        Version = reader.GetString(2),
        Annotations = KeyValue.Deserialize(reader.GetString(3)),
        Parameters = KeyValue.Deserialize(reader.GetString(4)),
        Publish = reader.GetInt64(5) != 0,
        Updated = DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(6)),
    };

    private static bool NamespaceExists(DbConnection connection, string name)
    {
        using var command = StoreDatabase.Command(connection, "SELECT 1 FROM namespaces WHERE name = @name", ("@name", name));
        return command.ExecuteScalar() is not null;
    }

    private static string NextVersion(string version)
    {
        var parts = version.Split('.');
        parts[^1] = (long.Parse(parts[^1], CultureInfo.InvariantCulture) + 1).ToString(CultureInfo.InvariantCulture);
        return string.Join('.', parts);
    }
}
