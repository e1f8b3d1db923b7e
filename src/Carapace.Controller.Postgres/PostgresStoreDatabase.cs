using System.Data;
using System.Data.Common;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Carapace.Controller.Storage;
using Npgsql;

namespace Carapace.Controller.Postgres;

/// <summary>
/// The controller's state in a PostgreSQL database, shared by every node of a cluster: pooled Npgsql connections,
/// write transactions at READ COMMITTED with row locks (<see cref="LockRows"/>) and, for a scope such as the registry, a
/// transaction-scoped advisory lock; reads that span several statements at REPEATABLE READ. A server that cannot be
/// reached surfaces as <see cref="StoreUnavailableException"/> within the connect timeout, never as a hang; the pool
/// replaces broken connections by itself once the server is back.
/// </summary>
public sealed class PostgresStoreDatabase : StoreDatabase
{
    private readonly NpgsqlDataSource _dataSource;

    private PostgresStoreDatabase(NpgsqlDataSource dataSource, string location)
    {
        _dataSource = dataSource;
        Location = location;
    }

    /// <inheritdoc />
    public override string Location { get; }

    /// <summary>
    /// Connects to the database <paramref name="connectionString"/> names, creates or migrates its schema
    /// (<see cref="PostgresSchema.Migrate"/>; safe when several nodes start at once) and returns it.
    /// </summary>
    /// <exception cref="ArgumentException">The connection string is malformed.</exception>
    /// <exception cref="StoreUnavailableException">The server cannot be reached.</exception>
    /// <exception cref="SchemaVersionException">The database was migrated by a newer Carapace than this one.</exception>
    public static PostgresStoreDatabase Open(string connectionString, PostgresStoreOptions? options = null)
    {
        options ??= new PostgresStoreOptions();
        var database = Connect(connectionString, options);
        try
        {
            PostgresSchema.Migrate(database, options.MigrationLockTimeout);
            return database;
        }
        catch
        {
            database.Dispose();
            throw;
        }
    }

    /// <summary>The database <paramref name="connectionString"/> names, without touching its schema (no connection is opened yet).</summary>
    internal static PostgresStoreDatabase Connect(string connectionString, PostgresStoreOptions options)
    {
        ArgumentException.ThrowIfNullOrEmpty(connectionString);
        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = new NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (Exception e) when (e is ArgumentException or FormatException or KeyNotFoundException)
        {
            // The driver's message may quote the string, password included: say only what is wrong.
            throw new ArgumentException("The PostgreSQL connection string is malformed (expected Host=...;Port=...;Database=...;Username=...).",
                nameof(connectionString));
        }

        builder.Timeout = (int)Math.Ceiling(options.ConnectTimeout.TotalSeconds);
        builder.CommandTimeout = (int)Math.Ceiling(options.CommandTimeout.TotalSeconds);
        // Server errors never carry row values or parameters into exceptions or logs.
        builder.IncludeErrorDetail = false;
        builder.ApplicationName ??= "carapace";
        var location = $"postgresql://{builder.Host}:{builder.Port}/{builder.Database}";
        return new PostgresStoreDatabase(new NpgsqlDataSourceBuilder(builder.ConnectionString).Build(), location);
    }

    /// <inheritdoc />
    public override DbConnection Open() => OpenNpgsql();

    /// <summary>An open Npgsql connection; the caller disposes it.</summary>
    /// <exception cref="StoreUnavailableException">The server cannot be reached.</exception>
    internal NpgsqlConnection OpenNpgsql()
    {
        try
        {
            return _dataSource.OpenConnection();
        }
        catch (Exception e) when (IsUnreachable(e))
        {
            throw new StoreUnavailableException(
                $"The platform's database ({Location}) cannot be reached, so this request was not recorded and nothing was changed; retry later.", e);
        }
    }

    /// <inheritdoc />
    public override DbTransaction BeginWrite(DbConnection connection, string? scope = null)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var transaction = ((NpgsqlConnection)connection).BeginTransaction(IsolationLevel.ReadCommitted);
        if (scope is not null)
        {
            try
            {
                using var command = new NpgsqlCommand("SELECT pg_advisory_xact_lock(@key)", (NpgsqlConnection)connection, transaction);
                command.Parameters.AddWithValue("key", LockKey(scope));
                command.ExecuteNonQuery();
            }
            catch
            {
                transaction.Dispose();
                throw;
            }
        }

        return transaction;
    }

    /// <inheritdoc />
    public override DbTransaction BeginRead(DbConnection connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        return ((NpgsqlConnection)connection).BeginTransaction(IsolationLevel.RepeatableRead);
    }

    /// <inheritdoc />
    public override string LockRows(string table) => " FOR UPDATE OF " + table;

    /// <summary>
    /// The advisory lock key of a scope: the first 8 bytes of SHA-256 over a prefix and the scope's name, so that
    /// Carapace's keys do not meet another application's small integers.
    /// </summary>
    internal static long LockKey(string scope) =>
        BitConverter.ToInt64(SHA256.HashData(Encoding.UTF8.GetBytes("carapace.lock/" + scope)), 0);

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _dataSource.Dispose();
        }
    }

    private static bool IsUnreachable(Exception e) =>
        e is NpgsqlException { IsTransient: true } or NpgsqlException { InnerException: SocketException or IOException or TimeoutException }
        || e is TimeoutException or SocketException;
}
