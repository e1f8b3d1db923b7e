using System.Data.Common;
using Carapace.Controller.Registry;
using Carapace.Controller.Storage;

namespace Carapace.Controller.Triggers;

/// <summary>The rules half of the registry.</summary>
public sealed partial class TriggerRegistry
{
    /// <summary>
    /// Creates a rule (active, as OpenWhisk) or, with <paramref name="overwrite"/>, replaces it keeping its status. The
    /// trigger must exist in the rule's namespace and <paramref name="actionExists"/> must say the action does (OpenWhisk's
    /// <c>trigger /ns/t does not exist</c> and <c>action /ns/a does not exist</c>); a trigger has at most
    /// <see cref="MaxRulesPerTrigger"/> rules.
    /// </summary>
    public PutEntityResult<RuleRecord> PutRule(string @namespace, string name, RuleDefinition definition, bool overwrite,
        Func<ActionName, bool> actionExists)
    {
        ArgumentNullException.ThrowIfNull(definition);
        ArgumentNullException.ThrowIfNull(actionExists);
        if (definition.Annotations is { } annotations && KeyValueRules.Check("annotations", annotations) is { Count: > 0 } problems)
        {
            return PutEntityResult<RuleRecord>.Fail(PutEntityStatus.Invalid, string.Join(" ", problems));
        }

        // The action is looked up first, outside the write transaction (it may read packages and bindings).
        var existing = GetRule(@namespace, name);
        var action = definition.Action ?? existing?.Action;
        var actionFound = action is { } wanted && actionExists(wanted);

        using var connection = _db.Open();
        using var transaction = _db.BeginWrite(connection, StoreSql.RegistryScope);
        if (!NamespaceExists(connection, @namespace))
        {
            return PutEntityResult<RuleRecord>.Fail(PutEntityStatus.NamespaceNotFound, $"The namespace '{@namespace}' does not exist.");
        }

        existing = ReadRule(connection, @namespace, name);
        if (existing is not null && !overwrite)
        {
            return PutEntityResult<RuleRecord>.Fail(PutEntityStatus.Conflict,
                $"The rule /{@namespace}/{name} already exists (version {existing.Version}); PUT with overwrite=true to update it.");
        }

        var trigger = definition.Trigger ?? existing?.Trigger;
        action ??= existing?.Action;
        if (trigger is null || action is null)
        {
            // OpenWhisk's sentence.
            return PutEntityResult<RuleRecord>.Fail(PutEntityStatus.Invalid, "rule requires a valid trigger and a valid action");
        }

        if (ReadTrigger(connection, @namespace, trigger) is null)
        {
            return PutEntityResult<RuleRecord>.Fail(PutEntityStatus.Invalid, $"trigger /{@namespace}/{trigger} does not exist");
        }

        if (!actionFound)
        {
            return PutEntityResult<RuleRecord>.Fail(PutEntityStatus.Invalid, $"action {action} does not exist");
        }

        if (existing?.Trigger != trigger && RulesOf(connection, @namespace, trigger).Count >= MaxRulesPerTrigger)
        {
            return PutEntityResult<RuleRecord>.Fail(PutEntityStatus.Invalid,
                $"The trigger /{@namespace}/{trigger} has {MaxRulesPerTrigger} rules already, the most one trigger may have; delete one first.");
        }

        var record = new RuleRecord
        {
            Namespace = @namespace,
            Name = name,
            Version = existing is null ? "0.0.1" : NextVersion(existing.Version),
            Trigger = trigger,
            Action = action.Value,
            Status = existing?.Status ?? RuleStatus.Active,
            Annotations = definition.Annotations ?? existing?.Annotations ?? [],
            Publish = definition.Publish ?? existing?.Publish ?? false,
            Updated = _time.GetUtcNow(),
        };
        WriteRule(connection, record);
        transaction.Commit();
        return new PutEntityResult<RuleRecord>(existing is null ? PutEntityStatus.Created : PutEntityStatus.Updated, record, null);
    }

    /// <summary>The rule, or null. Its status is inactive when its trigger no longer exists.</summary>
    public RuleRecord? GetRule(string @namespace, string name)
    {
        using var connection = _db.Open();
        return ReadRule(connection, @namespace, name);
    }

    /// <summary>A page of a namespace's rules, most recently updated first.</summary>
    public IReadOnlyList<RuleRecord> ListRules(string @namespace, PageRequest page)
    {
        using var connection = _db.Open();
        using var command = StoreDatabase.Command(connection,
            $"SELECT {RuleColumns} FROM rules WHERE namespace = @ns ORDER BY updated_at DESC, name LIMIT @limit OFFSET @skip",
            ("@ns", @namespace), ("@limit", page.Limit), ("@skip", page.Skip));
        using var reader = command.ExecuteReader();
        var records = new List<RuleRecord>();
        while (reader.Read())
        {
            records.Add(ReadRuleRecord(reader));
        }

        return records;
    }

    /// <summary>How many rules a namespace has past the first <paramref name="skip"/>.</summary>
    public long CountRules(string @namespace, int skip = 0) => CountIn("rules", @namespace, skip);

    /// <summary>
    /// Sets a rule's status (OpenWhisk's <c>POST /rules/{name}</c>): a rule whose trigger is gone can only be made
    /// inactive, which it already is.
    /// </summary>
    public RuleStatusChange SetStatus(string @namespace, string name, RuleStatus status)
    {
        using var connection = _db.Open();
        using var transaction = _db.BeginWrite(connection, StoreSql.RegistryScope);
        var existing = ReadRule(connection, @namespace, name);
        if (existing is null)
        {
            return RuleStatusChange.RuleNotFound;
        }

        if (existing.Status == status)
        {
            return RuleStatusChange.Unchanged;
        }

        if (ReadTrigger(connection, @namespace, existing.Trigger) is null)
        {
            return RuleStatusChange.TriggerNotFound;
        }

        StoreDatabase.Execute(connection, "UPDATE rules SET status = @status WHERE namespace = @ns AND name = @name",
            ("@status", status.ToWire()), ("@ns", @namespace), ("@name", name));
        transaction.Commit();
        return RuleStatusChange.Changed;
    }

    /// <summary>Deletes a rule (whatever its status, as OpenWhisk's controller); returns it as it was, or null.</summary>
    public RuleRecord? DeleteRule(string @namespace, string name)
    {
        using var connection = _db.Open();
        using var transaction = _db.BeginWrite(connection, StoreSql.RegistryScope);
        var existing = ReadRule(connection, @namespace, name);
        if (existing is null)
        {
            return null;
        }

        StoreDatabase.Execute(connection, "DELETE FROM rules WHERE namespace = @ns AND name = @name", ("@ns", @namespace), ("@name", name));
        transaction.Commit();
        return existing;
    }

    private static RuleRecord? ReadRule(DbConnection connection, string @namespace, string name)
    {
        using var command = StoreDatabase.Command(connection, $"SELECT {RuleColumns} FROM rules WHERE namespace = @ns AND name = @name",
            ("@ns", @namespace), ("@name", name));
        using var reader = command.ExecuteReader();
        return reader.Read() ? ReadRuleRecord(reader) : null;
    }

    private static void WriteRule(DbConnection connection, RuleRecord record) =>
        StoreDatabase.Execute(connection, $"""
            INSERT INTO rules ({RuleColumns}) VALUES (@ns, @name, @version, @trigger, @action, @status, @annotations, @publish, @updated)
            ON CONFLICT (namespace, name) DO UPDATE SET {StoreSql.Updates(RuleColumns, "namespace", "name")}
            """,
            ("@ns", record.Namespace), ("@name", record.Name), ("@version", record.Version), ("@trigger", record.Trigger),
            ("@action", record.Action.ToString()), ("@status", record.Status.ToWire()),
            ("@annotations", KeyValue.Serialize(record.Annotations)), ("@publish", record.Publish ? 1 : 0),
            ("@updated", record.Updated.ToUnixTimeMilliseconds()));

    private static RuleRecord ReadRuleRecord(DbDataReader reader) => new()
    {
        Namespace = reader.GetString(0),
        Name = reader.GetString(1),
        Version = reader.GetString(2),
        Trigger = reader.GetString(3),
        Action = ActionName.TryParse(reader.GetString(4), out var action) ? action
            : throw new InvalidDataException($"stored rule action '{reader.GetString(4)}' is malformed"),
        Status = RuleStatusText.TryParse(reader.GetString(5), out var status) ? status
            : throw new InvalidDataException($"stored rule status '{reader.GetString(5)}' is unknown"),
        Annotations = KeyValue.Deserialize(reader.GetString(6)),
        Publish = reader.GetInt64(7) != 0,
        Updated = DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(8)),
    };
}
