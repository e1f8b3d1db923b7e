using Carapace.Controller.Activations;
using Carapace.Controller.Registry;
using Carapace.Controller.Storage;
using Carapace.Envelope.Format;
using Microsoft.Data.Sqlite;

namespace Carapace.Controller.Tests.Storage;

/// <summary>A full disk under the controller's SQLite file is recognised as such, changes nothing, and passes once space returns.</summary>
public sealed class StorageFullTests
{
    [Fact]
    public void Sqlite_full_and_enospc_are_recognised_anywhere_in_the_chain_and_nothing_else_is()
    {
        Assert.True(StorageFull.IsCause(new SqliteException("database or disk is full", 13)));
        Assert.True(StorageFull.IsCause(new InvalidOperationException("wrapped", new IOException("No space left on device", 28))));
        Assert.False(StorageFull.IsCause(new SqliteException("database is locked", 5)));
        Assert.False(StorageFull.IsCause(new IOException("Permission denied", 13)));
        Assert.False(StorageFull.IsCause(null));
    }

    [SmallDiskFact]
    public void On_a_full_disk_a_new_activation_fails_as_storage_full_and_the_store_works_intact_once_space_returns()
    {
        using var disk = SmallDisk.Mount(8);
        var database = Path.Combine(disk.Path, "controller", "controller.db");
        var started = new List<ActivationId>();
        Exception? failure = null;
        using (var store = new ActivationStore(database))
        {
            started.Add(store.StartStep(Start(), RequestId.New(), "hello", 1).Record.ActivationId);
            disk.Fill();
            for (var i = 0; i < 2_000 && failure is null; i++)
            {
                try
                {
                    started.Add(store.StartStep(Start(), RequestId.New(), "hello", 1).Record.ActivationId);
                }
                catch (Exception e)
                {
                    failure = e;
                }
            }

            Assert.NotNull(failure);
            Assert.True(StorageFull.IsCause(failure), failure.ToString());

            disk.Free();
            started.Add(store.StartStep(Start(), RequestId.New(), "hello", 1).Record.ActivationId);
            Assert.All(started, id => Assert.NotNull(store.Get(id)));
        }

        SqliteConnection.ClearAllPools();
        using var connection = new SqliteConnection($"Data Source={database};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var check = connection.CreateCommand();
        check.CommandText = "PRAGMA integrity_check";
        Assert.Equal("ok", check.ExecuteScalar());
    }

    private static ActivationStart Start() => new()
    {
        Action = ActionName.Of("guest", "hello"),
        Version = "0.0.1",
        Subject = "guest",
        Kind = ActionKinds.Wasm,
        Limits = ActionLimits.Default,
        Confidential = true,
        Step = 1,
        ChainId = "hello",
    };
}
