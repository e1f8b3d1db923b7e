using Carapace.Controller.Postgres.Tests.Support;
using Npgsql;

namespace Carapace.Controller.Postgres.Tests;

/// <summary>Nodes create and migrate the schema at start: versioned, idempotent, and safe when several start at once.</summary>
public sealed class SchemaMigrationTests : IDisposable
{
    private readonly string _schema = "m_" + Guid.NewGuid().ToString("N");

    public SchemaMigrationTests() => Admin($"CREATE SCHEMA {_schema}");

    public void Dispose() => Admin($"DROP SCHEMA IF EXISTS {_schema} CASCADE");

    private string ConnectionString => PostgresServer.Shared.ConnectionString(searchPath: _schema);

    [Fact]
    public void A_fresh_database_gets_every_migration_once_and_a_second_start_applies_none()
    {
        using (PostgresStoreDatabase.Open(ConnectionString))
        {
        }

        Assert.Equal(PostgresSchema.Migrations.Select(m => m.Version), Versions());

        using var again = PostgresStoreDatabase.Open(ConnectionString);
        Assert.Equal(0, PostgresSchema.Migrate(again, TimeSpan.FromSeconds(30)));
        Assert.Equal(PostgresSchema.Migrations.Select(m => m.Version), Versions());
    }

    [Fact]
    public void Eight_nodes_starting_at_once_apply_each_migration_exactly_once()
    {
        var migrated = new int[8];
        var failures = new Exception?[8];
        using var barrier = new Barrier(migrated.Length);
        var threads = Enumerable.Range(0, migrated.Length).Select(i => new Thread(() =>
        {
            try
            {
                using var database = PostgresStoreDatabase.Connect(ConnectionString, new PostgresStoreOptions());
                barrier.SignalAndWait(TimeSpan.FromSeconds(30));
                migrated[i] = PostgresSchema.Migrate(database, TimeSpan.FromSeconds(60));
            }
            catch (Exception e)
            {
                failures[i] = e;
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        Assert.All(threads, t => Assert.True(t.Join(TimeSpan.FromSeconds(120)), "a migrator did not finish in time"));

        Assert.All(failures, Assert.Null);
        Assert.Equal(PostgresSchema.CurrentVersion, migrated.Sum());
        Assert.Equal(PostgresSchema.Migrations.Select(m => m.Version), Versions());
    }

    [Fact]
    public void A_database_migrated_by_a_newer_Carapace_is_refused_with_the_versions()
    {
        using (PostgresStoreDatabase.Open(ConnectionString))
        {
        }

        Admin($"INSERT INTO {_schema}.schema_version (version, name) VALUES ({PostgresSchema.CurrentVersion + 1}, 'from-the-future')");

        var e = Assert.Throws<SchemaVersionException>(() => PostgresStoreDatabase.Open(ConnectionString));
        Assert.Contains($"schema version {PostgresSchema.CurrentVersion + 1}", e.Message, StringComparison.Ordinal);
        Assert.Contains("Upgrade this node", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_migrations_are_numbered_from_one_without_gaps_and_name_what_they_do()
    {
        Assert.Equal(Enumerable.Range(1, PostgresSchema.Migrations.Count), PostgresSchema.Migrations.Select(m => m.Version));
        Assert.Equal(["controller", "orleans-clustering", "action-entry-point"], PostgresSchema.Migrations.Select(m => m.Name));
    }

    private List<int> Versions()
    {
        using var connection = new NpgsqlConnection(ConnectionString);
        connection.Open();
        using var command = new NpgsqlCommand("SELECT version FROM schema_version ORDER BY version", connection);
        using var reader = command.ExecuteReader();
        var versions = new List<int>();
        while (reader.Read())
        {
            versions.Add(reader.GetInt32(0));
        }

        return versions;
    }

    private static void Admin(string sql)
    {
        using var connection = new NpgsqlConnection(PostgresServer.Shared.ConnectionString());
        connection.Open();
        using var command = new NpgsqlCommand(sql, connection);
        command.ExecuteNonQuery();
    }
}
