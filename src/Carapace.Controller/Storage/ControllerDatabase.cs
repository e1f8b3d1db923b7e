using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;

namespace Carapace.Controller.Storage;

/// <summary>
/// A controller SQLite file: pooled connections in WAL mode with a busy timeout, so concurrent writers queue instead
/// of failing, and a schema created once. <c>synchronous = NORMAL</c> keeps every committed row across a crash of the
/// process (the failure the controller must survive); a power loss may drop the last commits. The per-connection
/// settings are applied once per physical connection (the pool hands the same SQLite handle out again), not on every
/// <see cref="Open"/>.
/// </summary>
internal sealed class ControllerDatabase : IDisposable
{
    private const string ConnectionSettings = "PRAGMA busy_timeout = 30000; PRAGMA synchronous = NORMAL;";

    private static readonly object s_configured = new();

    private readonly string _connectionString;

    // The physical connections (SQLite handles) that already have their settings; a closed handle drops out.
    private readonly ConditionalWeakTable<object, object> _configured = new();

    public ControllerDatabase(string path, string schema)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        Path = System.IO.Path.GetFullPath(path);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = Path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();

        using var connection = Open();
        Execute(connection, "PRAGMA journal_mode = WAL;" + schema);
    }

    public string Path { get; }

    public SqliteConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        var handle = connection.Handle!;
        if (!_configured.TryGetValue(handle, out _))
        {
            Execute(connection, ConnectionSettings);
            _configured.AddOrUpdate(handle, s_configured);
        }

        return connection;
    }

    public static int Execute(SqliteConnection connection, string sql, params (string Name, object? Value)[] parameters)
    {
        using var command = Command(connection, sql, parameters);
        return command.ExecuteNonQuery();
    }

    public static SqliteCommand Command(SqliteConnection connection, string sql, params (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        return command;
    }

    public void Dispose()
    {
        using var connection = new SqliteConnection(_connectionString);
        SqliteConnection.ClearPool(connection);
    }
}
