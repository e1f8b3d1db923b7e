using Carapace.Controller.Activations;
using Carapace.Controller.Packages;
using Carapace.Controller.Registry;
using Carapace.Controller.Triggers;

namespace Carapace.Controller.Tests.Contracts;

/// <summary>
/// One database the controller's stores run on, fresh for one test: SQLite (a file, the embedded platform) or
/// PostgreSQL (a schema of the test server, cluster mode). The contract test classes take one and promise the same of
/// both; opening a store again on the same backend is how a test simulates a restart.
/// </summary>
public abstract class StoreBackend : IDisposable
{
    /// <summary>Opens the activation records and step claims.</summary>
    public abstract ActivationStore Activations(TimeProvider time);

    /// <summary>Opens the action registry (namespaces, actions, blobs).</summary>
    public abstract ActionRegistry Actions(TimeProvider time, IActionValidator? validator = null);

    /// <summary>Opens the package registry.</summary>
    public abstract PackageRegistry Packages(TimeProvider time);

    /// <summary>Opens the trigger and rule registry.</summary>
    public abstract TriggerRegistry Triggers(TimeProvider time);

    /// <summary>How many rows <paramref name="table"/> holds.</summary>
    public abstract long Rows(string table);

    /// <summary>
    /// Every byte the database keeps on disk, once the stores are closed: the SQLite files, or the PostgreSQL server's
    /// whole data directory after a checkpoint (tables, indexes, write-ahead log).
    /// </summary>
    public abstract IEnumerable<(string File, byte[] Bytes)> StoredBytes();

    /// <summary>Deletes what the backend created.</summary>
    public abstract void Dispose();
}
