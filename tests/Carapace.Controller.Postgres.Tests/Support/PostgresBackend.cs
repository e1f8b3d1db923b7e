using Carapace.Controller.Activations;
using Carapace.Controller.Packages;
using Carapace.Controller.Registry;
using Carapace.Controller.Tests.Contracts;
using Carapace.Controller.Triggers;
using Npgsql;

namespace Carapace.Controller.Postgres.Tests.Support;

/// <summary>
/// Cluster mode's backend for one test: a fresh schema of the shared test server (<see cref="PostgresServer.Shared"/>),
/// migrated by <see cref="PostgresStoreDatabase.Open"/> as a node does, and dropped at the end.
/// </summary>
public sealed class PostgresBackend : StoreBackend
{
    public PostgresBackend()
        : this(PostgresServer.Shared)
    {
    }

    internal PostgresBackend(PostgresServer server)
    {
        Server = server;
        Schema = "t_" + Guid.NewGuid().ToString("N");
        Admin($"CREATE SCHEMA {Schema}");
        ConnectionString = server.ConnectionString(searchPath: Schema);
        Database = PostgresStoreDatabase.Open(ConnectionString);
    }

    internal PostgresServer Server { get; }

    /// <summary>The schema this test's tables live in.</summary>
    public string Schema { get; }

    /// <summary>A connection string whose search path is <see cref="Schema"/>.</summary>
    public string ConnectionString { get; }

    /// <summary>The database every store of this backend shares, as a node's stores do.</summary>
    public PostgresStoreDatabase Database { get; }

    public override ActivationStore Activations(TimeProvider time) => new(Database, time);

    public override ActionRegistry Actions(TimeProvider time, IActionValidator? validator = null) => new(Database, time, validator);

    public override PackageRegistry Packages(TimeProvider time) => new(Database, time);

    public override TriggerRegistry Triggers(TimeProvider time) => new(Database, time);

    public override long Rows(string table) => Convert.ToInt64(Scalar($"SELECT count(*) FROM {table}"), System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Runs one statement in this backend's schema and returns the first column of the first row.</summary>
    public object? Scalar(string sql)
    {
        using var connection = new NpgsqlConnection(ConnectionString);
        connection.Open();
        using var command = new NpgsqlCommand(sql, connection);
        return command.ExecuteScalar();
    }

    public override IEnumerable<(string File, byte[] Bytes)> StoredBytes()
    {
        // Every dirty page to the table and index files; the write-ahead log holds the rest.
        Admin("CHECKPOINT");
        return Directory.EnumerateFiles(Server.DataDirectory, "*", SearchOption.AllDirectories)
            .Select(f => (f, ReadShared(f))).ToList();
    }

    public override void Dispose()
    {
        Database.Dispose();
        NpgsqlConnection.ClearAllPools();
        if (Server.Running)
        {
            Admin($"DROP SCHEMA IF EXISTS {Schema} CASCADE");
        }
    }

    private void Admin(string sql)
    {
        using var connection = new NpgsqlConnection(Server.ConnectionString());
        connection.Open();
        using var command = new NpgsqlCommand(sql, connection);
        command.ExecuteNonQuery();
    }

    private static byte[] ReadShared(string file)
    {
        try
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            return copy.ToArray();
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            // A temporary file the server removed while the folder was read.
            return [];
        }
    }
}
