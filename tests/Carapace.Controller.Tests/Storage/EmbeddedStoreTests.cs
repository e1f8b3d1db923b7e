using Carapace.Controller.Registry;

namespace Carapace.Controller.Tests.Storage;

/// <summary>The embedded platform (carapace up) stays SQLite only: the controller loads no PostgreSQL or Orleans code.</summary>
public sealed class EmbeddedStoreTests
{
    [Fact]
    public void The_controller_references_neither_Npgsql_nor_Orleans()
    {
        var referenced = typeof(ActionRegistry).Assembly.GetReferencedAssemblies().Select(a => a.Name!).ToList();

        Assert.Contains("Microsoft.Data.Sqlite", referenced);
        Assert.DoesNotContain(referenced, r => r.StartsWith("Npgsql", StringComparison.Ordinal) || r.StartsWith("Orleans", StringComparison.Ordinal)
            || r.StartsWith("Microsoft.Orleans", StringComparison.Ordinal) || r == "Carapace.Controller.Postgres");
    }
}
