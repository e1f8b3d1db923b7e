using System.Text.RegularExpressions;

namespace Carapace.Cli.Tests.Functions;

public sealed partial class RunCommandTests : CliFixture
{
    [Fact]
    public async Task Run_computes_inside_an_enclave_and_prints_the_output()
    {
        var result = await Run(Text("confidential"), "run", RepoPaths.Example("hello"), "--cache-dir", Dir.File("cache"));

        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Equal("CONFIDENTIAL", result.StdoutText);
    }

    [Fact]
    public async Task A_timeout_exits_124_with_one_reason_line()
    {
        var result = await Run(null, "run", RepoPaths.Example("spin"), "--timeout", "500ms", "--cache-dir", Dir.File("cache"));

        Assert.Equal(124, result.ExitCode);
        Assert.Equal("carapace: timeout after 0.5 s", Assert.Single(result.StderrLines));
    }

    [Fact]
    public async Task The_function_exit_code_and_log_come_through()
    {
        var result = await Run(null, "run", RepoPaths.Example("readfile"), "--arg", "/data/none.txt", "--cache-dir", Dir.File("cache"));

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("/data/none.txt", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pack_then_run_reads_the_image_and_a_tampered_image_is_an_integrity_violation()
    {
        Directory.CreateDirectory(Dir.File("tree"));
        File.WriteAllText(Dir.File("tree/page.txt"), "shielded page");
        var pack = await Run(null, "pack", Dir.File("tree"), "--out", Dir.File("site.img"));
        var run = await Run(null, "run", RepoPaths.Example("readfile"), "--image", Dir.File("site.img"), "--arg", "/data/page.txt", "--cache-dir", Dir.File("cache"));
        var bytes = File.ReadAllBytes(Dir.File("site.img"));
        bytes[^50] ^= 0x01;
        File.WriteAllBytes(Dir.File("bad.img"), bytes);
        File.Copy(Dir.File("site.img.key"), Dir.File("bad.img.key"));
        var bad = await Run(null, "run", RepoPaths.Example("readfile"), "--image", Dir.File("bad.img"), "--arg", "/data/page.txt", "--cache-dir", Dir.File("cache"));

        Assert.True(pack.ExitCode == 0, pack.Stderr);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Dir.File("site.img.key")));
        Assert.Equal(-1, File.ReadAllBytes(Dir.File("site.img")).AsSpan().IndexOf("shielded page"u8));
        Assert.Equal(-1, File.ReadAllBytes(Dir.File("site.img")).AsSpan().IndexOf("page.txt"u8));
        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Equal("shielded page", run.StdoutText);
        Assert.Equal(123, bad.ExitCode);
        Assert.Contains("integrity violation", bad.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_image_key_file_other_users_can_read_is_refused_with_the_fix()
    {
        Directory.CreateDirectory(Dir.File("tree"));
        File.WriteAllText(Dir.File("tree/a.txt"), "a");
        await Run(null, "pack", Dir.File("tree"), "--out", Dir.File("a.img"));
        File.SetUnixFileMode(Dir.File("a.img.key"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);

        var result = await Run(null, "run", RepoPaths.Example("readfile"), "--image", Dir.File("a.img"), "--arg", "/data/a.txt");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("chmod 600", Assert.Single(result.StderrLines), StringComparison.Ordinal);
        Assert.Empty(result.Stdout);
    }

    [Fact]
    public async Task Measure_predicts_the_measurement_the_enclave_confirms()
    {
        var measured = await Run(null, "measure", RepoPaths.Example("hello"), "--memory", "32MiB");
        var run = await Run(Text("x"), "run", RepoPaths.Example("hello"), "--memory", "32MiB", "--stats", "--cache-dir", Dir.File("cache"));
        var other = await Run(null, "measure", RepoPaths.Example("hello"), "--memory", "16MiB");

        Assert.Matches(Hex64(), measured.StdoutText.Trim());
        Assert.Contains("measurement " + measured.StdoutText.Trim(), run.Stderr, StringComparison.Ordinal);
        Assert.NotEqual(measured.StdoutText, other.StdoutText);
    }

    [Fact]
    public async Task Measure_takes_the_runtime_identity_from_the_reference_values_it_is_given()
    {
        var shipped = Path.Combine(AppContext.BaseDirectory, "enclave", "reference-values.json");
        var json = await Run(null, "measure", RepoPaths.Example("hello"), "--json");
        var explicitly = await Run(null, "measure", RepoPaths.Example("hello"), "--json", "--reference-values", shipped);

        Assert.True(json.ExitCode == 0, json.Stderr);
        Assert.Equal(json.StdoutText, explicitly.StdoutText);
        var runtime = System.Text.Json.JsonDocument.Parse(json.StdoutText).RootElement.GetProperty("runtime").GetString();
        Assert.Equal(System.Text.Json.JsonDocument.Parse(File.ReadAllText(shipped)).RootElement.GetProperty("runtimeIdentity").GetString(), runtime);
    }

    [Fact]
    public async Task Missing_or_malformed_reference_values_are_one_clear_error_line()
    {
        var missing = await Run(null, "measure", RepoPaths.Example("hello"), "--reference-values", Dir.File("none.json"));
        var bad = Dir.File("bad.json");
        await File.WriteAllTextAsync(bad, """{"format": "carapace reference values v1"}""");
        var malformed = await Run(null, "measure", RepoPaths.Example("hello"), "--reference-values", bad);

        Assert.Equal(3, missing.ExitCode);
        Assert.Contains("do not exist", Assert.Single(missing.StderrLines), StringComparison.Ordinal);
        Assert.Equal(3, malformed.ExitCode);
        Assert.Contains("runtimeIdentity is missing", Assert.Single(malformed.StderrLines), StringComparison.Ordinal);
        Assert.Empty(malformed.Stdout);
    }

    [Fact]
    public async Task A_missing_module_is_a_clear_error()
    {
        var result = await Run(null, "run", Dir.File("nope.wasm"));

        Assert.Equal(3, result.ExitCode);
        Assert.Contains("does not exist", result.Stderr, StringComparison.Ordinal);
    }

    [GeneratedRegex("^[0-9a-f]{64}$")]
    private static partial Regex Hex64();
}
