using System.Text;
using Carapace.Controller.Postgres.Tests.Support;

namespace Carapace.Controller.Postgres.Tests;

/// <summary>
/// The confidentiality contract's marker test (ActivationStoreContract) searches the PostgreSQL server's data directory;
/// this shows that search would find a value the stores do write in plaintext (metadata), so its silence means something.
/// </summary>
public sealed class DataDirectoryTests : IDisposable
{
    private readonly PostgresBackend _backend = new();

    public void Dispose() => _backend.Dispose();

    [Fact]
    public void The_searched_files_hold_the_rows_the_stores_wrote()
    {
        var name = "ns" + Guid.NewGuid().ToString("N")[..12];
        using (var registry = _backend.Actions(TimeProvider.System))
        {
            Assert.True(registry.CreateNamespace(name));
        }

        var needle = Encoding.UTF8.GetBytes(name);
        Assert.Contains(_backend.StoredBytes(), f => f.Bytes.AsSpan().IndexOf(needle) >= 0);
    }
}
