using System.Runtime.Versioning;
using Carapace.Enclave.FileSystem;
using Carapace.Enclave.FileSystem.Image;
using Carapace.Enclave.FileSystem.Memory;
using Carapace.Enclave.FileSystem.Overlay;
using Carapace.Enclave.Tests.FileSystem.Image;
using Carapace.Enclave.Tests.Wasi.Support;
using Carapace.Enclave.Wasi;
using Wasmtime;

namespace Carapace.Enclave.Tests.Wasi;

/// <summary>
/// The real SQLite (examples/sqlite-query, built by examples/build.sh from the npm sqlite3 package's amalgamation) on a
/// shielded image, in-process with Carapace's WASI. SQLite for WASI locks a database with a lock *directory*
/// (<c>DB.lock</c>, its "unix-dotfile" VFS), even to read it: on a bare read-only image that <c>mkdir</c> is
/// <c>EROFS</c>, which SQLite reports as <c>SQLITE_IOERR_LOCK</c>, "disk I/O error" — the failure functions saw before
/// images were mounted through the writable overlay.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class SqliteOnImageTests : IDisposable
{
    private const int SqliteIoErrLock = 3850; // SQLITE_IOERR | (15 << 8)
    private const int WasiErofs = 69;         // wasi-libc's EROFS, which SQLite records as the last OS error
    private static readonly Lazy<Module> s_sqlite = new(() => Module.FromFile(WasiHarness.Engine, RepoPaths.Example("sqlite-query")));
    private readonly TempTree _tree = new();

    public void Dispose() => _tree.Dispose();

    [Fact]
    public void A_read_only_open_on_the_image_takes_its_lock_in_the_overlay_and_reads_the_database()
    {
        using var image = PackDatabase();
        using (var overlay = new OverlayFileSystem(image, new MemoryFileSystem(1 << 20)))
        {
            using var run = Sqlite(overlay, "--readonly", "--db", "/data/shop.db", "select count(*), sum(price) from item; select name from item where id = 3");

            Assert.True(run.ExitCode == 0, run.Stderr);
            Assert.Null(run.Trap);
            Assert.Equal("50|127500\nitem 3\n", run.Stdout);
            // The lock directory was made in the overlay and removed again when the read ended.
            Assert.Equal(Errno.NoEnt, overlay.Stat("shop.db.lock", out _));
        }

        Assert.Equal(Errno.NoEnt, image.Stat("shop.db.lock", out _));
    }

    [Fact]
    public void On_a_bare_read_only_tree_the_lock_directory_is_EROFS_which_SQLite_reports_as_a_disk_IO_error()
    {
        // The cause of "disk I/O error" for a database read from an image without a writable layer, pinned so that a
        // change to what a read-only tree answers (or to how SQLite locks on WASI) is noticed.
        using var image = PackDatabase();

        using var run = Sqlite(image, "--readonly", "--db", "/data/shop.db", "select count(*) from item");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("disk I/O error", run.Stderr, StringComparison.Ordinal);
        Assert.Contains($"extended {SqliteIoErrLock}, errno {WasiErofs})", run.Stderr, StringComparison.Ordinal);
        Assert.Equal(Errno.RoFs, image.CreateDirectory("shop.db.lock"));
    }

    [Fact]
    public void A_database_written_through_the_overlay_leaves_the_image_as_packed()
    {
        using var image = PackDatabase();
        using (var overlay = new OverlayFileSystem(image, new MemoryFileSystem(1 << 20)))
        {
            using var run = Sqlite(overlay, "--db", "/data/shop.db",
                "insert into item select id + 50, name, price from item; delete from item where id % 2 = 0",
                "select count(*), sum(price) from item");

            Assert.True(run.ExitCode == 0, run.Stderr);
            Assert.Equal("50|125000\n", run.Stdout);
            // The rollback journal came and went in the overlay; the copied-up database stays there.
            Assert.Equal(Errno.NoEnt, overlay.Stat("shop.db-journal", out _));
        }

        using var next = new OverlayFileSystem(image, new MemoryFileSystem(1 << 20));
        using var again = Sqlite(next, "--readonly", "--db", "/data/shop.db", "select count(*) from item");
        Assert.Equal("50\n", again.Stdout);
    }

    private ShieldedImage PackDatabase()
    {
        // The database is made by the same SQLite, in a memory tree, and copied out into the tree that is packed.
        using var scratch = new MemoryFileSystem(1 << 20);
        using (var made = Sqlite(scratch, "--db", "/data/shop.db",
                   "create table item(id integer primary key, name text, price integer)",
                   "with recursive n(i) as (select 1 union all select i + 1 from n where i < 50) "
                   + "insert into item select i, 'item ' || i, i * 100 from n"))
        {
            Assert.True(made.ExitCode == 0, made.Stderr);
        }

        Assert.Equal(Errno.Success, scratch.Open("shop.db", OpenFlags.None, out var handle));
        using (handle)
        {
            var bytes = new byte[handle!.Length];
            Assert.Equal(Errno.Success, handle.Read(0, bytes, out var read));
            Assert.Equal(bytes.Length, read);
            File.WriteAllBytes(Path.Combine(_tree.Source, "shop.db"), bytes);
        }

        return PackedImage.Pack(_tree.Source, _tree.Output("shop.img")).Mount();
    }

    private static WasiRun Sqlite(IFileSystem data, params string[] args) =>
        WasiHarness.Run(s_sqlite.Value, new WasiOptions { Args = ["sqlite-query", .. args], Preopens = [("/data", data)] });
}
