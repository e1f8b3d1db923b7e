using Microsoft.Data.Sqlite;

namespace Carapace.Kms.Storage;

/// <summary>
/// The KMS's SQLite file (<c>&lt;dataDir&gt;/kms/kms.db</c>): opens pooled connections with the pragmas every
/// component relies on and creates the schema once. Each component owns its tables; a policy update and its audit
/// record are written in one transaction.
/// </summary>
internal sealed class KmsDatabase : IDisposable
{
    private const string Schema = """
        PRAGMA journal_mode = WAL;
        CREATE TABLE IF NOT EXISTS meta (
            key   TEXT PRIMARY KEY,
            value TEXT NOT NULL
        ) STRICT;
        CREATE TABLE IF NOT EXISTS policies (
            namespace   TEXT    NOT NULL,
            version     INTEGER NOT NULL,
            document    BLOB    NOT NULL,
            approved_by TEXT    NOT NULL,
            accepted_at INTEGER NOT NULL,
            mac         BLOB    NOT NULL,
            PRIMARY KEY (namespace, version)
        ) STRICT;
        CREATE TABLE IF NOT EXISTS secrets (
            namespace  TEXT    NOT NULL,
            name       TEXT    NOT NULL,
            version    INTEGER NOT NULL,
            created_at INTEGER NOT NULL,
            nonce      BLOB    NOT NULL,
            ciphertext BLOB    NOT NULL,
            tag        BLOB    NOT NULL,
            PRIMARY KEY (namespace, name, version)
        ) STRICT;
        CREATE TABLE IF NOT EXISTS secret_writes (
            namespace TEXT    NOT NULL,
            name      TEXT    NOT NULL,
            version   INTEGER NOT NULL,
            PRIMARY KEY (namespace, name)
        ) STRICT;
        CREATE TABLE IF NOT EXISTS audit (
            seq       INTEGER PRIMARY KEY,
            time      INTEGER NOT NULL,
            kind      TEXT    NOT NULL,
            namespace TEXT    NOT NULL,
            subject   TEXT    NOT NULL,
            details   TEXT    NOT NULL,
            prev_hash BLOB    NOT NULL,
            hash      BLOB    NOT NULL
        ) STRICT;
        CREATE TABLE IF NOT EXISTS audit_head (
            id   INTEGER PRIMARY KEY CHECK (id = 1),
            seq  INTEGER NOT NULL,
            hash BLOB    NOT NULL,
            mac  BLOB    NOT NULL
        ) STRICT;
        """;

    private readonly string _connectionString;

    /// <summary>Opens (creating if needed) the database file at <paramref name="path"/>.</summary>
    public KmsDatabase(string path)
    {
        Path = System.IO.Path.GetFullPath(path);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = Path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
        }.ToString();

        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = Schema;
        command.ExecuteNonQuery();
    }

    /// <summary>The full path of the database file.</summary>
    public string Path { get; }

    /// <summary>An open connection; deleted rows are overwritten on disk (<c>secure_delete</c>).</summary>
    public SqliteConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA secure_delete = ON;";
        command.ExecuteNonQuery();
        return connection;
    }

    /// <summary>Reads a value of the <c>meta</c> table, or null.</summary>
    public string? GetMeta(string key)
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT value FROM meta WHERE key = $key";
        command.Parameters.AddWithValue("$key", key);
        return command.ExecuteScalar() as string;
    }

    /// <summary>Sets a value of the <c>meta</c> table only if it has none yet; returns the value now stored.</summary>
    public string SetMetaOnce(string key, string value)
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO meta (key, value) VALUES ($key, $value) ON CONFLICT (key) DO NOTHING;
            SELECT value FROM meta WHERE key = $key;
            """;
        command.Parameters.AddWithValue("$key", key);
        command.Parameters.AddWithValue("$value", value);
        return command.ExecuteScalar() as string ?? value;
    }

    /// <summary>Closes the pooled connections to this file.</summary>
    public void Dispose()
    {
        using var connection = new SqliteConnection(_connectionString);
        SqliteConnection.ClearPool(connection);
    }
}
