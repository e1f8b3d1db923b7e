using System.Globalization;
using Npgsql;

namespace Carapace.Controller.Postgres;

/// <summary>
/// The cluster database's schema: numbered migrations (<c>Schema/NNN-name.sql</c>, embedded in this assembly) applied
/// in order by every node as it starts, each once. The applied ones are rows of <c>schema_version</c>. Nodes that
/// start together take turns under a PostgreSQL advisory lock (per database schema), so exactly one applies each
/// migration and the others find it done; each migration runs in one transaction, so a node that dies half-way leaves
/// the schema at the previous version.
/// </summary>
public static class PostgresSchema
{
    private const string ResourcePrefix = "Carapace.Controller.Postgres.Schema.";

    /// <summary>The migrations this version of Carapace knows, by ascending version.</summary>
    public static IReadOnlyList<SchemaMigration> Migrations { get; } = Load();

    /// <summary>The version a database has once every known migration is applied.</summary>
    public static int CurrentVersion => Migrations[^1].Version;

    /// <summary>
    /// Applies every migration <paramref name="database"/> lacks, waiting at most <paramref name="lockTimeout"/> for a
    /// node that is migrating the same schema at the same moment; returns how many this call applied.
    /// </summary>
    /// <exception cref="SchemaVersionException">
    /// The database is newer than this node knows, or another node held the migration lock past the timeout.
    /// </exception>
    /// <exception cref="Storage.StoreUnavailableException">The server cannot be reached.</exception>
    public static int Migrate(PostgresStoreDatabase database, TimeSpan lockTimeout)
    {
        ArgumentNullException.ThrowIfNull(database);
        using var connection = database.OpenNpgsql();
        var schema = (string)Scalar(connection, "SELECT current_schema()")!;
        Execute(connection, $"SET lock_timeout = {(long)lockTimeout.TotalMilliseconds}");
        try
        {
            Execute(connection, "SELECT pg_advisory_lock(@key)", ("key", PostgresStoreDatabase.LockKey("migrate/" + schema)));
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.LockNotAvailable)
        {
            throw new SchemaVersionException(
                $"Another node has been migrating the schema '{schema}' of {database.Location} for longer than {lockTimeout.TotalSeconds:0} s; "
                + "check that node's log, then start this one again.", e);
        }

        try
        {
            Execute(connection, """
                CREATE TABLE IF NOT EXISTS schema_version (
                    version    integer     PRIMARY KEY,
                    name       text        NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now()
                )
                """);
            var applied = Convert.ToInt32(Scalar(connection, "SELECT coalesce(max(version), 0) FROM schema_version"), CultureInfo.InvariantCulture);
            if (applied > CurrentVersion)
            {
                throw new SchemaVersionException(
                    $"The database {database.Location} is at schema version {applied}, newer than this node knows ({CurrentVersion}): "
                    + "a newer Carapace migrated it. Upgrade this node.");
            }

            var count = 0;
            foreach (var migration in Migrations.Where(m => m.Version > applied))
            {
                using var transaction = connection.BeginTransaction();
                Execute(connection, migration.Sql);
                Execute(connection, "INSERT INTO schema_version (version, name) VALUES (@version, @name)",
                    ("version", migration.Version), ("name", migration.Name));
                transaction.Commit();
                count++;
            }

            return count;
        }
        finally
        {
            if (connection.FullState == System.Data.ConnectionState.Open)
            {
                Execute(connection, "SELECT pg_advisory_unlock(@key)", ("key", PostgresStoreDatabase.LockKey("migrate/" + schema)));
                Execute(connection, "RESET lock_timeout");
            }
        }
    }

    private static List<SchemaMigration> Load()
    {
        var assembly = typeof(PostgresSchema).Assembly;
        var migrations = new List<SchemaMigration>();
        foreach (var resource in assembly.GetManifestResourceNames().Where(r => r.StartsWith(ResourcePrefix, StringComparison.Ordinal)))
        {
            // NNN-name.sql
            var file = resource[ResourcePrefix.Length..^".sql".Length];
            var dash = file.IndexOf('-', StringComparison.Ordinal);
            var version = int.Parse(file[..dash], NumberStyles.None, CultureInfo.InvariantCulture);
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var reader = new StreamReader(stream);
            migrations.Add(new SchemaMigration(version, file[(dash + 1)..], reader.ReadToEnd()));
        }

        migrations.Sort((a, b) => a.Version.CompareTo(b.Version));
        for (var i = 0; i < migrations.Count; i++)
        {
            if (migrations[i].Version != i + 1)
            {
                throw new InvalidOperationException($"the schema migrations are not numbered 1, 2, 3, ...: found {migrations[i].Version} at place {i + 1}");
            }
        }

        return migrations;
    }

    private static void Execute(NpgsqlConnection connection, string sql, params (string Name, object Value)[] parameters)
    {
        using var command = Command(connection, sql, parameters);
        command.ExecuteNonQuery();
    }

    private static object? Scalar(NpgsqlConnection connection, string sql)
    {
        using var command = Command(connection, sql);
        return command.ExecuteScalar();
    }

    private static NpgsqlCommand Command(NpgsqlConnection connection, string sql, params (string Name, object Value)[] parameters)
    {
        var command = new NpgsqlCommand(sql, connection);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        return command;
    }
}
