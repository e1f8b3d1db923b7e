namespace Carapace.Controller.Postgres;

/// <summary>How a node talks to the cluster's PostgreSQL database; the defaults suit a database on the same network.</summary>
public sealed record PostgresStoreOptions
{
    /// <summary>How long opening a connection may take before the request fails as unavailable (default 5 s).</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long one statement may run before it is cancelled (default 30 s).</summary>
    public TimeSpan CommandTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a starting node waits for another node's migration to finish (default 60 s).</summary>
    public TimeSpan MigrationLockTimeout { get; init; } = TimeSpan.FromSeconds(60);
}
