using System.Data.Common;
using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;

namespace Carapace.Controller.Storage;

/// <summary>
/// A controller SQLite file: pooled connections in WAL mode with a busy timeout, so concurrent writers queue instead
/// of failing, and a schema created once. <c>synchronous = NORMAL</c> keeps every committed row across a crash of the
/// process (the failure the controller must survive); a power loss may drop the last commits. The per-connection
/// settings are applied once per physical connection (the pool hands the same SQLite handle out again), not on every
/// <see cref="Open"/>. A write transaction is SQLite's <c>BEGIN IMMEDIATE</c>: it excludes every other writer of the
/// file, so no write needs a narrower lock.
/// </summary>
internal sealed class ControllerDatabase : StoreDatabase
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

        using var connection = OpenSqlite();
        Execute(connection, "PRAGMA journal_mode = WAL;" + schema);
    }

    public string Path { get; }

    public override string Location => Path;

    public override DbConnection Open() => OpenSqlite();

    public override DbTransaction BeginWrite(DbConnection connection, string? scope = null) => ((SqliteConnection)connection).BeginTransaction();

    public override DbTransaction BeginRead(DbConnection connection) => ((SqliteConnection)connection).BeginTransaction(deferred: true);

    public override string LockRows(string table) => "";

    public SqliteConnection OpenSqlite()
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

    protected override void Dispose(bool disposing)
    {
        using var connection = new SqliteConnection(_connectionString);
        SqliteConnection.ClearPool(connection);
    }
}
