using System.Data.Common;

namespace Carapace.Controller.Storage;

/// <summary>
/// Where the controller's durable state lives: the registry of actions, packages, triggers and rules, activation
/// records, step claims and credentials. One implementation per database — SQLite for the embedded platform
/// (<c>carapace up</c>), PostgreSQL for cluster mode (<c>Carapace.Controller.Postgres</c>) — under one set of stores
/// whose SQL both understand, so both keep the same promises (the contract tests run every store against each).
/// </summary>
/// <remarks>
/// The stores write only metadata and sealed bytes; nothing here may ever hold a key or plaintext user data.
/// Implementations provide what the two databases do differently: how a connection is opened, how a write transaction
/// keeps concurrent writers apart, and how a read locks the rows it is about to change.
/// </remarks>
public abstract class StoreDatabase : IDisposable
{
    /// <summary>Where the state lives, for messages: a file path, or a database server and name (never a password).</summary>
    public abstract string Location { get; }

    /// <summary>An open connection (from a pool); the caller disposes it.</summary>
    /// <exception cref="StoreUnavailableException">The database cannot be reached.</exception>
    public abstract DbConnection Open();

    /// <summary>
    /// Begins a transaction that will write. Writes under the same <paramref name="scope"/> (for example one namespace's
    /// registry) are serialized, so a read-check-write sequence inside the transaction sees every earlier commit of the
    /// scope; rows are otherwise protected by <see cref="LockRows"/> and unique constraints.
    /// </summary>
    public abstract DbTransaction BeginWrite(DbConnection connection, string? scope = null);

    /// <summary>Begins a transaction that only reads, and sees one consistent state of the database throughout.</summary>
    public abstract DbTransaction BeginRead(DbConnection connection);

    /// <summary>
    /// The clause that ends a <c>SELECT</c> whose rows of <paramref name="table"/> the transaction is about to change,
    /// so that a concurrent writer waits for it (empty where the write transaction already excludes other writers).
    /// </summary>
    public abstract string LockRows(string table);

    /// <summary>Closes the pooled connections.</summary>
    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Closes the pooled connections when <paramref name="disposing"/>.</summary>
    protected abstract void Dispose(bool disposing);

    /// <summary>Runs a statement with named parameters (<c>@name</c>) and returns how many rows it changed.</summary>
    internal static int Execute(DbConnection connection, string sql, params (string Name, object? Value)[] parameters)
    {
        using var command = Command(connection, sql, parameters);
        return command.ExecuteNonQuery();
    }

    /// <summary>A command with named parameters (<c>@name</c>); a null value is SQL NULL.</summary>
    internal static DbCommand Command(DbConnection connection, string sql, params (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = name;
            parameter.Value = value ?? DBNull.Value;
            command.Parameters.Add(parameter);
        }

        return command;
    }
}
