using System.Security.Cryptography;
using System.Text;
using Microsoft.Data.Sqlite;

namespace Carapace.Cli.Tests.Functions;

/// <summary>
/// Real third-party C libraries, built for WASI from registry packages by examples/build.sh, run shielded through the
/// real enclave path (<c>carapace run</c>): SQLite with its database in the image (read-only and written through the
/// overlay) and in /tmp, and cmark-gfm's own command-line program rendering Markdown files from the image.
/// </summary>
public sealed class RealLibraryTests : CliFixture
{
    [Fact]
    public async Task SQLite_reads_a_database_from_the_image_read_only()
    {
        var image = await PackShopAsync();

        var run = await Sqlite(image, "--readonly", "--db", "/data/shop.db",
            "select count(*), sum(price) from item",
            "select name from item where price > 99000 order by id");

        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Equal("1000|50050000\nitem 991\nitem 992\nitem 993\nitem 994\nitem 995\nitem 996\nitem 997\nitem 998\nitem 999\nitem 1000\n", run.StdoutText);
    }

    [Fact]
    public async Task SQLite_writes_a_database_of_the_image_and_a_new_one_in_the_overlay_and_the_image_file_is_unchanged()
    {
        var image = await PackShopAsync();
        var before = SHA256.HashData(File.ReadAllBytes(image));

        var changed = await Sqlite(image, "--db", "/data/shop.db",
            "update item set price = price * 2 where id <= 500; delete from item where id > 900",
            "select count(*), sum(price) from item");
        var created = await Sqlite(image, "--db", "/data/new.db",
            "create table o(n)", "insert into o values (1), (2), (3)", "select sum(n) from o");
        var next = await Sqlite(image, "--readonly", "--db", "/data/shop.db", "select count(*), sum(price) from item");

        Assert.True(changed.ExitCode == 0, changed.Stderr);
        Assert.Equal("900|53070000\n", changed.StdoutText);
        Assert.True(created.ExitCode == 0, created.Stderr);
        Assert.Equal("6\n", created.StdoutText);
        // The image on the host is never written, and the next invocation sees it as packed.
        Assert.Equal(before, SHA256.HashData(File.ReadAllBytes(image)));
        Assert.Equal("1000|50050000\n", next.StdoutText);
    }

    [Fact]
    public async Task SQLite_keeps_a_database_in_tmp_and_copies_the_image_database_there()
    {
        var image = await PackShopAsync();

        var run = await Sqlite(image, "--db", "/data/shop.db",
            "vacuum into '/tmp/copy.db'",
            "attach '/tmp/copy.db' as t",
            "update t.item set price = 0 where id % 10 = 0",
            "select (select sum(price) from main.item) - (select sum(price) from t.item)");

        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Equal("5050000\n", run.StdoutText);
    }

    [Fact]
    public async Task SQLite_reports_a_missing_database_opened_read_only_as_an_error()
    {
        var image = await PackShopAsync();

        var run = await Sqlite(image, "--readonly", "--db", "/data/missing.db", "select 1");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("unable to open database file", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cmark_gfm_renders_Markdown_files_of_the_image_to_HTML()
    {
        Directory.CreateDirectory(Dir.File("docs/guide"));
        File.WriteAllText(Dir.File("docs/guide/intro.md"), "# Carapace\n\nRuns *unmodified* programs ~~in the clear~~ shielded.\n");
        File.WriteAllText(Dir.File("docs/table.md"), "| a | b |\n|---|:-:|\n| 1 | 2 |\n\nSee www.example.com\n");
        var image = await PackAsync("docs", "docs.img");

        var run = await Run(null, "run", RepoPaths.Example("cmark-gfm"), "--image", image,
            "--arg", "-e", "--arg", "table", "--arg", "-e", "--arg", "strikethrough", "--arg", "-e", "--arg", "autolink",
            "--arg", "/data/guide/intro.md", "--arg", "/data/table.md", "--cache-dir", Dir.File("cache"));

        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Equal(
            """
            <h1>Carapace</h1>
            <p>Runs <em>unmodified</em> programs <del>in the clear</del> shielded.</p>
            <table>
            <thead>
            <tr>
            <th>a</th>
            <th align="center">b</th>
            </tr>
            </thead>
            <tbody>
            <tr>
            <td>1</td>
            <td align="center">2</td>
            </tr>
            </tbody>
            </table>
            <p>See <a href="http://www.example.com">www.example.com</a></p>

            """, run.StdoutText);
    }

    [Fact]
    public async Task Cmark_gfm_renders_a_large_file_from_the_image_as_it_renders_the_same_text_from_stdin()
    {
        // 2 MiB over many 4 KiB blocks, read through the shield with stdio's buffered reads of other sizes.
        var text = new StringBuilder();
        for (var i = 0; text.Length < 2 << 20; i++)
        {
            text.Append("## Section ").Append(i).Append("\n\nParagraph ").Append(i).Append(" with `code`, **bold** and a [link](/p/").Append(i).Append(").\n\n");
        }

        Directory.CreateDirectory(Dir.File("big"));
        File.WriteAllText(Dir.File("big/book.md"), text.ToString());
        var image = await PackAsync("big", "big.img");

        var fromImage = await Run(null, "run", RepoPaths.Example("cmark-gfm"), "--image", image, "--arg", "/data/book.md",
            "--cache-dir", Dir.File("cache"));
        var fromStdin = await Run(Encoding.UTF8.GetBytes(text.ToString()), "run", RepoPaths.Example("cmark-gfm"),
            "--cache-dir", Dir.File("cache"));

        Assert.True(fromImage.ExitCode == 0, fromImage.Stderr);
        Assert.True(fromStdin.ExitCode == 0, fromStdin.Stderr);
        Assert.Contains("<h2>Section 0</h2>", fromImage.StdoutText, StringComparison.Ordinal);
        Assert.Equal(fromStdin.Stdout, fromImage.Stdout);
    }

    private Task<string> PackShopAsync()
    {
        Directory.CreateDirectory(Dir.File("shop"));
        var connection = new SqliteConnectionStringBuilder { DataSource = Dir.File("shop/shop.db"), Pooling = false }.ToString();
        using (var db = new SqliteConnection(connection))
        {
            db.Open();
            using var command = db.CreateCommand();
            command.CommandText = """
                create table item(id integer primary key, name text not null, price integer not null);
                with recursive n(i) as (select 1 union all select i + 1 from n where i < 1000)
                insert into item select i, 'item ' || i, i * 100 from n;
                """;
            command.ExecuteNonQuery();
        }

        return PackAsync("shop", "shop.img");
    }

    private async Task<string> PackAsync(string tree, string image)
    {
        var pack = await Run(null, "pack", Dir.File(tree), "--out", Dir.File(image));
        Assert.True(pack.ExitCode == 0, pack.Stderr);
        return Dir.File(image);
    }

    private Task<CarapaceProcess.Result> Sqlite(string image, params string[] args) =>
        Run(null, ["run", RepoPaths.Example("sqlite-query"), "--image", image, "--cache-dir", Dir.File("cache"),
            .. args.SelectMany(a => new[] { "--arg", a })]);
}
