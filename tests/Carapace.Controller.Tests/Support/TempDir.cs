using Microsoft.Data.Sqlite;

namespace Carapace.Controller.Tests.Support;

/// <summary>A fresh folder under the system temp folder, deleted (with SQLite pools closed) on dispose.</summary>
internal sealed class TempDir : IDisposable
{
    public TempDir()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "carapace-controller-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string Database => System.IO.Path.Combine(Path, "controller", "controller.db");

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
