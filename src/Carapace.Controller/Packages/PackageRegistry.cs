using System.Data.Common;
using System.Globalization;
using Carapace.Controller.Registry;
using Carapace.Controller.Storage;

namespace Carapace.Controller.Packages;

/// <summary>
/// Packages and package bindings with OpenWhisk's semantics, in the controller's SQLite file beside the actions (table
/// <c>packages</c>). An action in package <c>p</c> is stored by the <see cref="ActionRegistry"/> under the name
/// <c>p/action</c>; a package that still holds actions is not deleted unless asked to (<c>force</c>). A binding refers
/// to a package (never to another binding) of its own namespace or one another namespace published. Every write is one
/// transaction. Holds public deployment metadata only.
/// </summary>
public sealed partial class PackageRegistry : IDisposable
{
    /// <summary>The table, created by this registry and by the <see cref="ActionRegistry"/> (which checks an action's package).</summary>
    internal const string Schema = """
        CREATE TABLE IF NOT EXISTS packages (
            namespace         TEXT    NOT NULL,
            name              TEXT    NOT NULL,
            version           TEXT    NOT NULL,
            binding_namespace TEXT,
            binding_name      TEXT,
            annotations       TEXT    NOT NULL,
            parameters        TEXT    NOT NULL,
            publish           INTEGER NOT NULL,
            updated_at        INTEGER NOT NULL,
            PRIMARY KEY (namespace, name)
        ) STRICT;
        CREATE INDEX IF NOT EXISTS packages_by_update ON packages (namespace, updated_at DESC, name);
        """;

    /// <summary>OpenWhisk's reserved package name.</summary>
    public const string ReservedName = "default";

    /// <summary>The most actions a package's GET lists (newest first).</summary>
    public const int MaxListedActions = 1000;

    private const string Columns = "namespace, name, version, binding_namespace, binding_name, annotations, parameters, publish, updated_at";

    private readonly StoreDatabase _db;
    private readonly bool _ownsDatabase;
    private readonly TimeProvider _time;

    /// <summary>Opens (creating if needed) the registry in the SQLite file at <paramref name="path"/>.</summary>
    public PackageRegistry(string path, TimeProvider? time = null)
        : this(new ControllerDatabase(path, Schema), ownsDatabase: true, time)
    {
    }

    /// <summary>
    /// Opens the registry in <paramref name="database"/>, whose schema its owner has already created (cluster mode's
    /// PostgreSQL); disposing the registry leaves the database open.
    /// </summary>
    public PackageRegistry(StoreDatabase database, TimeProvider? time = null)
        : this(database, ownsDatabase: false, time)
    {
    }

    private PackageRegistry(StoreDatabase database, bool ownsDatabase, TimeProvider? time)
    {
        ArgumentNullException.ThrowIfNull(database);
        _db = database;
        _ownsDatabase = ownsDatabase;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>
    /// Creates a package or binding, or replaces it when <paramref name="overwrite"/> is true (properties left null keep
    /// their stored value, the version's patch number is bumped). A binding must refer to an existing package that is
    /// not a binding, in <paramref name="namespace"/> or published by its namespace; a package cannot become a binding.
    /// </summary>
    public PutPackageResult Put(string @namespace, string name, PackageDefinition definition, bool overwrite)
    {
        ArgumentNullException.ThrowIfNull(definition);
        var errors = new List<string>();
        if (name == ReservedName)
        {
            // OpenWhisk's sentence.
            return PutPackageResult.Fail(PutPackageStatus.Invalid, $"Package name '{name}' is reserved.");
        }

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
            return PutPackageResult.Fail(PutPackageStatus.Invalid, string.Join(" ", errors));
        }

        using var connection = _db.Open();
        using var transaction = _db.BeginWrite(connection, StoreSql.RegistryScope);
        if (!NamespaceExists(connection, @namespace))
        {
            return PutPackageResult.Fail(PutPackageStatus.NamespaceNotFound, $"The namespace '{@namespace}' does not exist.");
        }

        var existing = Read(connection, @namespace, name);
        if (existing is not null && !overwrite)
        {
            return PutPackageResult.Fail(PutPackageStatus.Conflict,
                $"The package /{@namespace}/{name} already exists (version {existing.Version}); PUT with overwrite=true to update it.");
        }

        if (definition.Binding is { } binding)
        {
            if (existing is { IsBinding: false })
            {
                // OpenWhisk's sentence.
                return PutPackageResult.Fail(PutPackageStatus.CannotBecomeBinding, "Resource is a package and cannot be converted into a binding.");
            }

            if (CheckBinding(connection, @namespace, name, binding) is { } problem)
            {
                return PutPackageResult.Fail(PutPackageStatus.Invalid, problem);
            }
        }

        var record = new PackageRecord
        {
            Namespace = @namespace,
            Name = name,
            Version = existing is null ? "0.0.1" : NextVersion(existing.Version),
            Binding = definition.Binding ?? existing?.Binding,
            Annotations = definition.Annotations ?? existing?.Annotations ?? [],
            Parameters = definition.Parameters ?? existing?.Parameters ?? [],
            Publish = definition.Publish ?? existing?.Publish ?? false,
            Updated = _time.GetUtcNow(),
        };
        StoreDatabase.Execute(connection, $"""
            INSERT INTO packages ({Columns})
            VALUES (@ns, @name, @version, @bindingNs, @bindingName, @annotations, @parameters, @publish, @updated)
            ON CONFLICT (namespace, name) DO UPDATE SET {StoreSql.Updates(Columns, "namespace", "name")}
            """,
            ("@ns", record.Namespace), ("@name", record.Name), ("@version", record.Version),
            ("@bindingNs", record.Binding?.Namespace), ("@bindingName", record.Binding?.Name),
            ("@annotations", KeyValue.Serialize(record.Annotations)), ("@parameters", KeyValue.Serialize(record.Parameters)),
            ("@publish", record.Publish ? 1 : 0), ("@updated", record.Updated.ToUnixTimeMilliseconds()));
        transaction.Commit();
        return new PutPackageResult { Status = existing is null ? PutPackageStatus.Created : PutPackageStatus.Updated, Package = record };
    }

    /// <summary>The package or binding, or null if it does not exist.</summary>
    public PackageRecord? Get(string @namespace, string name)
    {
        using var connection = _db.Open();
        return Read(connection, @namespace, name);
    }

    /// <summary>
    /// The package <paramref name="name"/> of <paramref name="namespace"/> as its actions see it: itself, or for a
    /// binding the package it refers to with the binding's parameters over the package's; null when either does not
    /// exist or the bound package is no longer published to the binding's namespace.
    /// </summary>
    public ResolvedPackage? Resolve(string @namespace, string name)
    {
        using var connection = _db.Open();
        return Resolve(connection, @namespace, name);
    }

    /// <summary>A page of a namespace's packages and bindings, most recently updated first; only published ones when <paramref name="publishedOnly"/>.</summary>
    public IReadOnlyList<PackageRecord> List(string @namespace, PageRequest page, bool publishedOnly = false)
    {
        using var connection = _db.Open();
        using var command = StoreDatabase.Command(connection, $"""
            SELECT {Columns} FROM packages WHERE namespace = @ns AND (@all = 1 OR publish = 1)
            ORDER BY updated_at DESC, name LIMIT @limit OFFSET @skip
            """,
            ("@ns", @namespace), ("@all", publishedOnly ? 0 : 1), ("@limit", page.Limit), ("@skip", page.Skip));
        using var reader = command.ExecuteReader();
        var records = new List<PackageRecord>();
        while (reader.Read())
        {
            records.Add(ReadRecord(reader));
        }

        return records;
    }

    /// <summary>How many packages <see cref="List"/> would find past the first <paramref name="skip"/> (OpenWhisk's <c>count=true</c>).</summary>
    public long Count(string @namespace, int skip = 0, bool publishedOnly = false)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(skip);
        using var connection = _db.Open();
        using var command = StoreDatabase.Command(connection, "SELECT count(*) FROM packages WHERE namespace = @ns AND (@all = 1 OR publish = 1)",
            ("@ns", @namespace), ("@all", publishedOnly ? 0 : 1));
        return Math.Max(0, (long)command.ExecuteScalar()! - skip);
    }

    /// <summary>
    /// The actions of package <paramref name="package"/> (its name and version and annotations), most recently updated
    /// first, at most <see cref="MaxListedActions"/>.
    /// </summary>
    public IReadOnlyList<PackagedAction> ActionsOf(PackageRecord package)
    {
        ArgumentNullException.ThrowIfNull(package);
        using var connection = _db.Open();
        using var command = StoreDatabase.Command(connection, $"""
            SELECT name, version, annotations FROM actions WHERE namespace = @ns AND {InPackage}
            ORDER BY updated_at DESC, name LIMIT {MaxListedActions}
            """,
            ("@ns", package.Namespace), ("@low", package.Name + "/"), ("@high", package.Name + "0"));
        using var reader = command.ExecuteReader();
        var actions = new List<PackagedAction>();
        while (reader.Read())
        {
            var full = reader.GetString(0);
            actions.Add(new PackagedAction(full[(full.IndexOf('/', StringComparison.Ordinal) + 1)..], reader.GetString(1),
                KeyValue.Deserialize(reader.GetString(2))));
        }

        return actions;
    }

    /// <summary>
    /// Deletes a package or binding. A package that still holds actions is refused (<see cref="DeletePackageStatus.NotEmpty"/>)
    /// unless <paramref name="force"/>, which deletes its actions with it (and modules no other action runs), as OpenWhisk's
    /// <c>force</c>. Bindings to the package stay and no longer resolve.
    /// </summary>
    public DeletePackageResult Delete(string @namespace, string name, bool force)
    {
        using var connection = _db.Open();
        using var transaction = _db.BeginWrite(connection, StoreSql.RegistryScope);
        var existing = Read(connection, @namespace, name);
        if (existing is null)
        {
            return new DeletePackageResult(DeletePackageStatus.NotFound, null, 0);
        }

        var actions = 0;
        if (!existing.IsBinding)
        {
            using var count = StoreDatabase.Command(connection, $"SELECT count(*) FROM actions WHERE namespace = @ns AND {InPackage}",
                ("@ns", @namespace), ("@low", name + "/"), ("@high", name + "0"));
            actions = Convert.ToInt32(count.ExecuteScalar(), CultureInfo.InvariantCulture);
            if (actions > 0 && !force)
            {
                return new DeletePackageResult(DeletePackageStatus.NotEmpty, existing, actions);
            }

            if (actions > 0)
            {
                StoreDatabase.Execute(connection, $"DELETE FROM actions WHERE namespace = @ns AND {InPackage}",
                    ("@ns", @namespace), ("@low", name + "/"), ("@high", name + "0"));
                ActionRegistry.CollectBlobs(connection);
            }
        }

        StoreDatabase.Execute(connection, "DELETE FROM packages WHERE namespace = @ns AND name = @name", ("@ns", @namespace), ("@name", name));
        transaction.Commit();
        return new DeletePackageResult(DeletePackageStatus.Deleted, existing, actions);
    }

    /// <summary>Closes the pooled connections to the file.</summary>
    public void Dispose()
    {
        if (_ownsDatabase)
        {
            _db.Dispose();
        }
    }

    /// <summary>The actions of a package: stored names from <c>p/</c> up to (not including) <c>p0</c>, '0' following '/'.</summary>
    private const string InPackage = "name >= @low AND name < @high";

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
