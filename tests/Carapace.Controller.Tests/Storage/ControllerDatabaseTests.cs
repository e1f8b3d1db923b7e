using Carapace.Controller.Storage;
using Carapace.Controller.Tests.Support;

namespace Carapace.Controller.Tests.Storage;

/// <summary>The per-connection settings hold on every connection the pool hands out, though they are set once per physical connection.</summary>
public sealed class ControllerDatabaseTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Every_opened_connection_has_WAL_a_busy_timeout_and_synchronous_normal()
    {
        using var db = new ControllerDatabase(_dir.Database, "CREATE TABLE IF NOT EXISTS t (x INTEGER) STRICT;");
        // Two at once (two physical connections), then again from the pool (the same handles, settings not re-run).
        for (var round = 0; round < 3; round++)
        {
            using var first = db.Open();
            using var second = db.Open();
            foreach (var connection in new[] { first, second })
            {
                Assert.Equal("wal", Scalar(connection, "PRAGMA journal_mode;"));
                Assert.Equal(30000L, Scalar(connection, "PRAGMA busy_timeout;"));
                Assert.Equal(1L, Scalar(connection, "PRAGMA synchronous;")); // NORMAL
            }
        }
    }

    private static object? Scalar(System.Data.Common.DbConnection connection, string sql)
    {
        using var command = StoreDatabase.Command(connection, sql);
        return command.ExecuteScalar();
    }
}
