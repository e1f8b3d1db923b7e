using System.Text.RegularExpressions;

namespace Carapace.Cli.Tests.Keys;

public sealed partial class KeyCommandTests : CliFixture
{
    [Fact]
    public async Task Key_new_writes_an_owner_only_file_and_prints_its_key_id()
    {
        var id = await NewKeyAsync();

        Assert.Matches(HexId(), id);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(KeyPath));
        var again = await Run(null, "key", "id", "--key", KeyPath);
        Assert.Equal(id, again.StdoutText.Trim());
    }

    [Fact]
    public async Task Key_new_refuses_to_overwrite_an_existing_key_without_force()
    {
        var first = await NewKeyAsync();

        var second = await Run(null, "key", "new", "--out", KeyPath);
        Assert.Equal(1, second.ExitCode);
        Assert.Contains("already exists", second.Stderr, StringComparison.Ordinal);
        Assert.Equal(first, (await Run(null, "key", "id", "--key", KeyPath)).StdoutText.Trim());

        var forced = await Run(null, "key", "new", "--out", KeyPath, "--force");
        Assert.Equal(0, forced.ExitCode);
        Assert.NotEqual(first, forced.StdoutText.Trim());
    }

    [Fact]
    public async Task Key_id_of_an_edge_differs_from_the_master_and_between_steps()
    {
        var master = await NewKeyAsync();
        var step0 = (await Run(null, "key", "id", "--key", KeyPath, "--chain", "orders")).StdoutText.Trim();
        var step1 = (await Run(null, "key", "id", "--key", KeyPath, "--chain", "orders", "--step", "1")).StdoutText.Trim();

        Assert.Matches(HexId(), step0);
        Assert.NotEqual(master, step0);
        Assert.NotEqual(step0, step1);
    }

    [Fact]
    public async Task A_key_file_readable_by_others_is_refused_with_the_fix()
    {
        await NewKeyAsync();
        File.SetUnixFileMode(KeyPath, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

        var result = await Run(null, "key", "id", "--key", KeyPath);

        Assert.Equal(1, result.ExitCode);
        Assert.Single(result.StderrLines);
        Assert.Contains("chmod 600", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_file_that_is_not_a_key_is_refused_without_echoing_its_content()
    {
        File.WriteAllText(KeyPath, "SECRET-LOOKING-CONTENT-1234\n");
        File.SetUnixFileMode(KeyPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);

        var result = await Run(null, "key", "id", "--key", KeyPath);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("not a Carapace master key", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("SECRET-LOOKING", result.Stderr, StringComparison.Ordinal);
    }

    [GeneratedRegex("^[0-9a-f]{16}$")]
    private static partial Regex HexId();
}
