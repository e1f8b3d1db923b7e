using Carapace.Controller.Activations;
using Carapace.Controller.Packages;
using Carapace.Controller.Registry;
using Carapace.Controller.Tests.Support;
using Carapace.Controller.Triggers;
using Microsoft.Data.Sqlite;

namespace Carapace.Controller.Tests.Contracts;

/// <summary>The embedded platform's backend: the controller's SQLite file in a fresh folder.</summary>
public sealed class SqliteBackend : StoreBackend
{
    private readonly TempDir _dir = new();

    /// <summary>The file every store opens.</summary>
    public string Database => _dir.Database;

    public override ActivationStore Activations(TimeProvider time) => new(_dir.Database, time);

    public override ActionRegistry Actions(TimeProvider time, IActionValidator? validator = null) => new(_dir.Database, time, validator);

    public override PackageRegistry Packages(TimeProvider time) => new(_dir.Database, time);

    public override TriggerRegistry Triggers(TimeProvider time) => new(_dir.Database, time);

    public override long Rows(string table)
    {
        using var connection = new SqliteConnection($"Data Source={_dir.Database}");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT count(*) FROM {table}";
        return (long)command.ExecuteScalar()!;
    }

    public override IEnumerable<(string File, byte[] Bytes)> StoredBytes()
    {
        SqliteConnection.ClearAllPools();
        return Directory.GetFiles(Path.GetDirectoryName(_dir.Database)!).Select(f => (f, File.ReadAllBytes(f))).ToList();
    }

    public override void Dispose() => _dir.Dispose();
}
