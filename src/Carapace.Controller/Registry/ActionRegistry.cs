using System.Data.Common;
using System.Globalization;
using System.Text.Json;
using Carapace.Controller.Storage;

namespace Carapace.Controller.Registry;

/// <summary>
/// The deployment registry: namespaces and actions with OpenWhisk's semantics in a SQLite file. Modules and
/// file-system images are stored once per SHA-256 (content-addressed blobs shared by every action that uses the same
/// bytes) and removed when no action refers to them. Every write is one transaction, so concurrent puts of one name serialize and each sees the
/// version the previous one stored. Holds public code and deployment metadata only.
/// </summary>
public sealed partial class ActionRegistry : IDisposable
{
    private const string Schema = """
        CREATE TABLE IF NOT EXISTS namespaces (
            name       TEXT    PRIMARY KEY,
            created_at INTEGER NOT NULL
        ) STRICT;
        CREATE TABLE IF NOT EXISTS blobs (
            sha256 TEXT    PRIMARY KEY,
            size   INTEGER NOT NULL,
            bytes  BLOB    NOT NULL
        ) STRICT;
        CREATE TABLE IF NOT EXISTS actions (
            namespace     TEXT    NOT NULL REFERENCES namespaces (name),
            name          TEXT    NOT NULL,
            version       TEXT    NOT NULL,
            kind          TEXT    NOT NULL,
            module_sha256 TEXT,
            module_size   INTEGER NOT NULL,
            components    TEXT    NOT NULL,
            memory_mib    INTEGER NOT NULL,
            timeout_ms    INTEGER NOT NULL,
            annotations   TEXT    NOT NULL,
            parameters    TEXT    NOT NULL,
            confidential  INTEGER NOT NULL,
            publish       INTEGER NOT NULL,
            updated_at    INTEGER NOT NULL,
            image_sha256  TEXT,
            image_size    INTEGER,
            image_id      TEXT,
            image_root    TEXT,
            main          TEXT,
            PRIMARY KEY (namespace, name)
        ) STRICT;
        CREATE INDEX IF NOT EXISTS actions_by_update ON actions (namespace, updated_at DESC, name);
        """;

    private const string Columns =
        "namespace, name, version, kind, module_sha256, module_size, components, memory_mib, timeout_ms, annotations, parameters, confidential, publish, updated_at, "
        + "image_sha256, image_size, image_id, image_root, main";

    /// <summary>Columns added after the first schema, added to an older database when it is opened.</summary>
    private static readonly (string Name, string Type)[] s_addedColumns =
        [("image_sha256", "TEXT"), ("image_size", "INTEGER"), ("image_id", "TEXT"), ("image_root", "TEXT"), ("main", "TEXT")];

    private readonly StoreDatabase _db;
    private readonly bool _ownsDatabase;
    private readonly TimeProvider _time;
    private readonly IActionValidator? _validator;

    /// <summary>
    /// Opens (creating if needed) the registry in the SQLite file at <paramref name="path"/>; <paramref name="validator"/>
    /// judges modules and the function an action makes (without one, only what the registry itself knows is checked).
    /// </summary>
    public ActionRegistry(string path, TimeProvider? time = null, IActionValidator? validator = null)
        : this(new ControllerDatabase(path, Schema + Packages.PackageRegistry.Schema), ownsDatabase: true, time, validator)
    {
        AddMissingColumns();
    }

    /// <summary>
    /// Opens the registry in <paramref name="database"/>, whose schema its owner has already created (cluster mode's
    /// PostgreSQL); disposing the registry leaves the database open. <paramref name="validator"/> as above.
    /// </summary>
    public ActionRegistry(StoreDatabase database, TimeProvider? time = null, IActionValidator? validator = null)
        : this(database, ownsDatabase: false, time, validator)
    {
    }

    private ActionRegistry(StoreDatabase database, bool ownsDatabase, TimeProvider? time, IActionValidator? validator)
    {
        ArgumentNullException.ThrowIfNull(database);
        _db = database;
        _ownsDatabase = ownsDatabase;
        _time = time ?? TimeProvider.System;
        _validator = validator;
    }

    /// <summary>Where the registry lives: the full path of the SQLite file, or the PostgreSQL server and database.</summary>
    public string Path => _db.Location;

    /// <summary>Creates a namespace if it does not exist; true if it was created by this call.</summary>
    /// <exception cref="ArgumentException"><paramref name="name"/> is not a valid namespace name.</exception>
    public bool CreateNamespace(string name)
    {
        if (!ActionName.IsValidPart(name))
        {
            throw new ArgumentException($"'{name}' is not a valid namespace name.", nameof(name));
        }

        using var connection = _db.Open();
        return StoreDatabase.Execute(connection,
            "INSERT INTO namespaces (name, created_at) VALUES (@name, @now) ON CONFLICT (name) DO NOTHING",
            ("@name", name), ("@now", _time.GetUtcNow().ToUnixTimeMilliseconds())) == 1;
    }

    /// <summary>True if the namespace exists.</summary>
    public bool NamespaceExists(string name)
    {
        using var connection = _db.Open();
        return NamespaceExists(connection, name);
    }

    /// <summary>All namespaces, by name.</summary>
    public IReadOnlyList<string> ListNamespaces()
    {
        using var connection = _db.Open();
        using var command = StoreDatabase.Command(connection, "SELECT name FROM namespaces ORDER BY name");
        using var reader = command.ExecuteReader();
        var names = new List<string>();
        while (reader.Read())
        {
            names.Add(reader.GetString(0));
        }

        return names;
    }

    /// <summary>
    /// Creates an action, or replaces it when <paramref name="overwrite"/> is true (OpenWhisk's
    /// <c>?overwrite=true</c>): the version's patch number is bumped and properties left null keep their stored value.
    /// Sequences must name existing actions, may not contain themselves, and may run at most
    /// <see cref="ActionExec.MaxSequenceSteps"/> actions with their nested sequences flattened. Every field is checked —
    /// names, kind, module (by the <see cref="IActionValidator"/>, if any), image, limits, annotations and parameters —
    /// and so is the action as it would be stored (new fields merged over the kept ones), so an update that keeps the
    /// stored limits or annotations cannot make an action that does not run; nothing is stored unless all of it is valid.
    /// </summary>
    public PutActionResult Put(ActionName name, ActionDefinition definition, bool overwrite)
    {
        ArgumentNullException.ThrowIfNull(definition);

        // What needs no stored state is checked before the write transaction: a module check reads the whole module.
        var errors = new List<string>();
        if (definition.Limits is { } newLimits)
        {
            errors.AddRange(newLimits.Validate());
        }

        if (definition.Annotations is { } newAnnotations)
        {
            errors.AddRange(KeyValueRules.Check("annotations", newAnnotations));
        }

        if (definition.Parameters is { } newParameters)
        {
            errors.AddRange(KeyValueRules.Check("parameters", newParameters));
        }

        ActionCode? newCode = null;
        byte[]? module = null;
        byte[]? image = null;
        if (definition.Exec is { } exec)
        {
            newCode = CheckCode(exec, errors, out module, out image);
        }

        using var connection = _db.Open();
        using var transaction = _db.BeginWrite(connection, StoreSql.RegistryScope);
        if (!NamespaceExists(connection, name.Namespace))
        {
            return PutActionResult.Fail(PutActionStatus.NamespaceNotFound, $"The namespace '{name.Namespace}' does not exist.");
        }

        if (CheckPackage(connection, name) is { } packageFailure)
        {
            return packageFailure;
        }

        var existing = Read(connection, name);
        if (existing is not null && !overwrite)
        {
            return PutActionResult.Fail(PutActionStatus.Conflict,
                $"The action {name} already exists (version {existing.Version}); PUT with overwrite=true to update it.");
        }

        if (newCode is null && existing is null)
        {
            return PutActionResult.Fail(PutActionStatus.Invalid, $"The action {name} does not exist yet: 'exec' is required to create it.");
        }

        if (errors.Count == 0 && newCode is { IsSequence: true } && CheckComponents(connection, name, newCode) is { } failure)
        {
            return failure;
        }

        if (errors.Count > 0)
        {
            return PutActionResult.Fail(PutActionStatus.Invalid, string.Join(" ", errors));
        }

        var record = new ActionRecord
        {
            Name = name,
            Version = existing is null ? "0.0.1" : NextVersion(existing.Version),
            Exec = newCode ?? existing!.Exec,
            Limits = definition.Limits ?? existing?.Limits ?? ActionLimits.Default,
            Annotations = MergeAnnotations(existing?.Annotations, definition.Annotations),
            Parameters = definition.Parameters ?? existing?.Parameters ?? [],
            Confidential = definition.Confidential ?? existing?.Confidential ?? true,
            Publish = definition.Publish ?? existing?.Publish ?? false,
            Updated = _time.GetUtcNow(),
        };

        if (record.Exec.Image is not null && !record.Confidential)
        {
            return PutActionResult.Fail(PutActionStatus.Invalid,
                "A plaintext action cannot mount a file-system image: the image's key is released by the KMS only to attested confidential functions.");
        }

        if (_validator is not null)
        {
            var code = module ?? (record.Exec.ModuleSha256 is { } kept ? ReadBlob(connection, kept) ?? [] : []);
            var problems = _validator.CheckAction(record, code);
            if (problems.Count > 0)
            {
                return PutActionResult.Fail(PutActionStatus.Invalid, string.Join(" ", problems));
            }
        }

        if (module is not null)
        {
            StoreDatabase.Execute(connection,
                "INSERT INTO blobs (sha256, size, bytes) VALUES (@sha, @size, @bytes) ON CONFLICT (sha256) DO NOTHING",
                ("@sha", record.Exec.ModuleSha256), ("@size", record.Exec.ModuleSize), ("@bytes", module));
        }

        if (image is not null)
        {
            StoreDatabase.Execute(connection,
                "INSERT INTO blobs (sha256, size, bytes) VALUES (@sha, @size, @bytes) ON CONFLICT (sha256) DO NOTHING",
                ("@sha", record.Exec.Image!.Sha256), ("@size", record.Exec.Image.Size), ("@bytes", image));
        }

        Write(connection, record);
        CollectBlobs(connection);
        transaction.Commit();
        return new PutActionResult { Status = existing is null ? PutActionStatus.Created : PutActionStatus.Updated, Action = record };
    }

    /// <summary>The action, or null if it does not exist.</summary>
    public ActionRecord? Get(ActionName name)
    {
        using var connection = _db.Open();
        return Read(connection, name);
    }

    /// <summary>The bytes of the module with this SHA-256 (lower-case hex), or null if no action runs it.</summary>
    public byte[]? GetModule(string sha256) => GetBlob(sha256);

    /// <summary>The bytes of the file-system image with this SHA-256 (lower-case hex), or null if no action mounts it.</summary>
    public byte[]? GetImage(string sha256) => GetBlob(sha256);

    /// <summary>How many blobs (modules and images) are stored, one per distinct content.</summary>
    public int CountModules()
    {
        using var connection = _db.Open();
        using var command = StoreDatabase.Command(connection, "SELECT COUNT(*) FROM blobs");
        return Convert.ToInt32(command.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    private byte[]? GetBlob(string sha256)
    {
        using var connection = _db.Open();
        return ReadBlob(connection, sha256);
    }

    private static byte[]? ReadBlob(DbConnection connection, string sha256)
    {
        using var command = StoreDatabase.Command(connection, "SELECT bytes FROM blobs WHERE sha256 = @sha", ("@sha", sha256));
        return command.ExecuteScalar() as byte[];
    }

    /// <summary>A page of a namespace's actions, most recently updated first (as OpenWhisk lists them).</summary>
    public IReadOnlyList<ActionRecord> List(string @namespace, PageRequest page)
    {
        using var connection = _db.Open();
        using var command = StoreDatabase.Command(connection,
            $"SELECT {Columns} FROM actions WHERE namespace = @ns ORDER BY updated_at DESC, name LIMIT @limit OFFSET @skip",
            ("@ns", @namespace), ("@limit", page.Limit), ("@skip", page.Skip));
        using var reader = command.ExecuteReader();
        var records = new List<ActionRecord>();
        while (reader.Read())
        {
            records.Add(ReadRecord(reader));
        }

        return records;
    }

    /// <summary>How many actions a namespace has past the first <paramref name="skip"/> (OpenWhisk's <c>count=true</c>).</summary>
    public long Count(string @namespace, int skip = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(skip);
        using var connection = _db.Open();
        using var command = StoreDatabase.Command(connection, "SELECT count(*) FROM actions WHERE namespace = @ns", ("@ns", @namespace));
        return Math.Max(0, (long)command.ExecuteScalar()! - skip);
    }

    /// <summary>
    /// Deletes an action and, if no other action runs the same module, its module blob; returns the deleted action or
    /// null if it did not exist. Sequences that name it fail to resolve from then on, as in OpenWhisk.
    /// </summary>
    public ActionRecord? Delete(ActionName name)
    {
        using var connection = _db.Open();
        using var transaction = _db.BeginWrite(connection, StoreSql.RegistryScope);
        var existing = Read(connection, name);
        if (existing is null)
        {
            return null;
        }

        StoreDatabase.Execute(connection, "DELETE FROM actions WHERE namespace = @ns AND name = @name",
            ("@ns", name.Namespace), ("@name", name.Name));
        CollectBlobs(connection);
        transaction.Commit();
        return existing;
    }

    /// <summary>
    /// The module actions to run for <paramref name="name"/>, in order: itself for a module, its components (nested
    /// sequences flattened) for a sequence. A component deleted since the sequence was stored is reported, not skipped;
    /// so is a sequence that has grown past <see cref="ActionExec.MaxSequenceSteps"/> actions through changes to its
    /// components (the expansion stops there, see <see cref="SequenceExpansion"/>).
    /// </summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired while expanding.</exception>
    public SequenceResolution Resolve(ActionName name, CancellationToken cancellationToken = default)
    {
        using var connection = _db.Open();
        using var transaction = _db.BeginRead(connection);
        var root = ReadForRun(connection, name);
        if (root is null)
        {
            return new SequenceResolution { Status = SequenceResolutionStatus.NotFound, Error = $"The action {name} does not exist." };
        }

        return SequenceExpansion.Expand(root, component => ReadForRun(connection, component), cancellationToken);
    }

    /// <summary>Closes the pooled connections to the file.</summary>
    public void Dispose()
    {
        if (_ownsDatabase)
        {
            _db.Dispose();
        }
    }


    /// <summary>
    /// OpenWhisk's update of annotations: the stored ones with the request's over them — a key the request names takes
    /// its value, the others stay (parameters, by contrast, are replaced whole when given).
    /// </summary>
    private static IReadOnlyList<KeyValue> MergeAnnotations(IReadOnlyList<KeyValue>? stored, IReadOnlyList<KeyValue>? given)
    {
        if (given is null || stored is null)
        {
            return given ?? stored ?? [];
        }

        var named = given.Select(g => g.Key).ToHashSet(StringComparer.Ordinal);
        return [.. stored.Where(s => !named.Contains(s.Key)), .. given];
    }
    private static string NextVersion(string version)
    {
        var parts = version.Split('.');
        var patch = long.Parse(parts[^1], CultureInfo.InvariantCulture) + 1;
        parts[^1] = patch.ToString(CultureInfo.InvariantCulture);
        return string.Join('.', parts);
    }

    private static bool NamespaceExists(DbConnection connection, string name)
    {
        using var command = StoreDatabase.Command(connection, "SELECT 1 FROM namespaces WHERE name = @name", ("@name", name));
        return command.ExecuteScalar() is not null;
    }

    internal static void CollectBlobs(DbConnection connection) =>
        StoreDatabase.Execute(connection, """
            DELETE FROM blobs WHERE sha256 NOT IN (SELECT module_sha256 FROM actions WHERE module_sha256 IS NOT NULL)
                AND sha256 NOT IN (SELECT image_sha256 FROM actions WHERE image_sha256 IS NOT NULL)
            """);

    private void AddMissingColumns()
    {
        using var connection = _db.Open();
        var present = new HashSet<string>(StringComparer.Ordinal);
        using (var command = StoreDatabase.Command(connection, "SELECT name FROM pragma_table_info('actions')"))
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                present.Add(reader.GetString(0));
            }
        }

        foreach (var (column, type) in s_addedColumns.Where(c => !present.Contains(c.Name)))
        {
            StoreDatabase.Execute(connection, $"ALTER TABLE actions ADD COLUMN {column} {type}");
        }
    }

    private static void Write(DbConnection connection, ActionRecord record) =>
        StoreDatabase.Execute(connection, $"""
            INSERT INTO actions ({Columns})
            VALUES (@ns, @name, @version, @kind, @sha, @size, @components, @memory, @timeout, @annotations, @parameters, @confidential, @publish, @updated,
                @imageSha, @imageSize, @imageId, @imageRoot, @main)
            ON CONFLICT (namespace, name) DO UPDATE SET {StoreSql.Updates(Columns, "namespace", "name")}
            """,
            ("@ns", record.Name.Namespace), ("@name", record.Name.Name), ("@version", record.Version),
            ("@kind", record.Exec.Kind), ("@sha", record.Exec.ModuleSha256), ("@size", record.Exec.ModuleSize),
            ("@components", JsonSerializer.Serialize(record.Exec.Components.Select(c => c.ToString()), Json.Options)),
            ("@memory", record.Limits.MemoryMiB), ("@timeout", record.Limits.TimeoutMs),
            ("@annotations", KeyValue.Serialize(record.Annotations)), ("@parameters", KeyValue.Serialize(record.Parameters)),
            ("@confidential", record.Confidential ? 1 : 0), ("@publish", record.Publish ? 1 : 0),
            ("@updated", record.Updated.ToUnixTimeMilliseconds()),
            ("@imageSha", record.Exec.Image?.Sha256), ("@imageSize", record.Exec.Image?.Size),
            ("@imageId", record.Exec.Image?.Id), ("@imageRoot", record.Exec.Image?.Root), ("@main", record.Exec.Main));

    private static ActionRecord? Read(DbConnection connection, ActionName name)
    {
        using var command = StoreDatabase.Command(connection,
            $"SELECT {Columns} FROM actions WHERE namespace = @ns AND name = @name", ("@ns", name.Namespace), ("@name", name.Name));
        using var reader = command.ExecuteReader();
        return reader.Read() ? ReadRecord(reader) : null;
    }

    private static ActionRecord ReadRecord(DbDataReader reader)
    {
        var components = JsonSerializer.Deserialize<string[]>(reader.GetString(6), Json.Options) ?? [];
        var image = reader.IsDBNull(14) ? null
            : new ActionImage(reader.GetString(14), reader.GetInt64(15), reader.GetString(16), reader.GetString(17));
        return new ActionRecord
        {
            Name = ActionName.Of(reader.GetString(0), reader.GetString(1)),
            Version = reader.GetString(2),
            Exec = new ActionCode(reader.GetString(3), reader.IsDBNull(4) ? null : reader.GetString(4), reader.GetInt64(5),
                [.. components.Select(c => ActionName.TryParse(c, out var n) ? n : throw new InvalidDataException($"stored component '{c}' is malformed"))],
                image, reader.IsDBNull(18) ? null : reader.GetString(18)),
            Limits = new ActionLimits(reader.GetInt32(7), reader.GetInt32(8)),
            Annotations = KeyValue.Deserialize(reader.GetString(9)),
            Parameters = KeyValue.Deserialize(reader.GetString(10)),
            Confidential = reader.GetInt64(11) != 0,
            Publish = reader.GetInt64(12) != 0,
            Updated = DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(13)),
        };
    }
}
