using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Carapace.Client.Profiles;

namespace Carapace.Cli.Tests.Platform;

/// <summary>
/// The client commands as a user runs them against a real <c>carapace up</c>: deploy, chain, invoke (sealed here,
/// opened here, receipts verified), receipt verification, activations and their sealed logs, actions.
/// </summary>
public sealed class ClientCommandsTests(RunningPlatform platform) : IClassFixture<RunningPlatform>
{
    [Fact]
    public async Task Deploy_and_invoke_print_the_measurement_the_output_and_a_one_line_summary()
    {
        var deploy = await platform.RunAsync(null, "deploy", "hello", RepoPaths.Example("hello"), "--memory", "128", "--env", "GREETING=hi");
        Assert.True(deploy.ExitCode == 0, deploy.Stderr);
        Assert.Matches("(?m)^name +hello$", deploy.StdoutText);
        Assert.Matches("(?m)^measurement [0-9a-f]{64}$", deploy.StdoutText);
        Assert.Matches("(?m)^policy +v[0-9]+ of namespace 'guest'$", deploy.StdoutText);

        var invoke = await platform.RunAsync(Encoding.UTF8.GetBytes("hello, cli"), "invoke", "hello");

        Assert.True(invoke.ExitCode == 0, invoke.Stderr);
        Assert.Equal("HELLO, CLI", invoke.StdoutText.Trim());
        Assert.Matches(@"^hello: (cold|warm), [0-9]+\.[0-9] ms, activation [0-9a-f]{32}, 1 receipt verified$", invoke.StderrLines.Last());
    }

    [Fact]
    public async Task Deploy_with_an_image_packed_by_the_cli_mounts_it_at_data_for_the_function()
    {
        var source = platform.File("image-src");
        Directory.CreateDirectory(source);
        await File.WriteAllTextAsync(Path.Combine(source, "hello.txt"), "from the packed image\n");
        var pack = await CarapaceProcess.RunAsync(platform.WorkDirectory, null, "pack", source, "--out", platform.File("data.img"));
        Assert.True(pack.ExitCode == 0, pack.Stderr);

        var deploy = await platform.RunAsync(null, "deploy", "i-reader", RepoPaths.Example("readfile"), "--memory", "128", "--image", platform.File("data.img"));
        var invoke = await platform.RunAsync([], "invoke", "i-reader");

        Assert.True(deploy.ExitCode == 0, deploy.Stderr);
        Assert.Matches("(?m)^image +root [0-9a-f]{64} \\([0-9]+ bytes\\); key in the KMS as secret 'image-key.i-reader.[0-9a-f]{32}'$", deploy.StdoutText);
        Assert.True(invoke.ExitCode == 0, invoke.Stderr);
        Assert.Equal("from the packed image\n", invoke.StdoutText);

        var missingKey = await platform.RunAsync(null, "deploy", "i-reader", RepoPaths.Example("readfile"), "--image", platform.File("data.img"),
            "--image-key", platform.File("nope.key"));
        Assert.Equal(2, missingKey.ExitCode);
        Assert.Contains("no key for image", missingKey.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_chain_runs_end_to_end_and_its_receipts_verify_offline()
    {
        await platform.DeployAsync("c-hello", "hello");
        await platform.DeployAsync("c-count", "wordcount");
        await platform.DeployAsync("c-sha", "sha256");
        var chain = await platform.RunAsync(null, "chain", "create", "c-pipe", "c-hello", "c-count", "c-sha");
        Assert.True(chain.ExitCode == 0, chain.Stderr);
        Assert.Contains("/guest/c-hello → /guest/c-count → /guest/c-sha", chain.StdoutText, StringComparison.Ordinal);
        await File.WriteAllTextAsync(platform.File("in.txt"), "one two three\nfour\n");

        var invoke = await platform.RunAsync(null, "invoke", "c-pipe", "--input", platform.File("in.txt"), "--out", platform.File("out.txt"),
            "--receipt", platform.File("receipts.json"));
        var verify = await platform.RunAsync(null, "receipt", "verify", platform.File("receipts.json"));

        Assert.True(invoke.ExitCode == 0, invoke.Stderr);
        Assert.Empty(invoke.Stdout);
        Assert.EndsWith("3 receipts verified", invoke.StderrLines.Last(), StringComparison.Ordinal);
        var counted = "2 4 19\n"u8.ToArray(); // wordcount of "ONE TWO THREE\nFOUR\n"
        Assert.Contains(Convert.ToHexStringLower(SHA256.HashData(counted)), await File.ReadAllTextAsync(platform.File("out.txt")), StringComparison.Ordinal);
        Assert.True(verify.ExitCode == 0, verify.Stderr + verify.StdoutText);
        Assert.Contains("receipt 3: verified", verify.StdoutText, StringComparison.Ordinal);
        Assert.Matches("(?m)^  function     c-count \\(namespace guest\\)$", verify.StdoutText);
        Assert.Matches("(?m)^  chain        c-pipe, step 2$", verify.StdoutText);
        Assert.Contains("chain 'c-pipe': 3 step(s) of request", verify.StdoutText, StringComparison.Ordinal);

        // One flipped bit in one receipt, or a receipt left out, and verification fails.
        var receipts = JsonSerializer.Deserialize<string[]>(await File.ReadAllTextAsync(platform.File("receipts.json")))!;
        var bytes = Convert.FromBase64String(receipts[1]);
        bytes[bytes.Length / 2] ^= 1;
        await File.WriteAllTextAsync(platform.File("bad.json"), JsonSerializer.Serialize(new[] { receipts[0], Convert.ToBase64String(bytes), receipts[2] }));
        await File.WriteAllTextAsync(platform.File("short.json"), JsonSerializer.Serialize(new[] { receipts[0], receipts[2] }));
        var bad = await platform.RunAsync(null, "receipt", "verify", platform.File("bad.json"));
        var missing = await platform.RunAsync(null, "receipt", "verify", platform.File("short.json"));
        Assert.Equal(1, bad.ExitCode);
        Assert.Contains("receipt 2: NOT VERIFIED", bad.StdoutText, StringComparison.Ordinal);
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("NOT LINKED", missing.StdoutText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_failed_activation_is_listed_shown_and_its_sealed_logs_are_opened_client_side()
    {
        await platform.DeployAsync("l-marker", "marker");

        var failed = await platform.RunAsync("not a marker"u8.ToArray(), "invoke", "l-marker");

        Assert.Equal(1, failed.ExitCode);
        Assert.Empty(failed.Stdout);
        var id = System.Text.RegularExpressions.Regex.Match(failed.Stderr, "carapace activations get ([0-9a-f]{32})").Groups[1].Value;
        Assert.True(id.Length == 32, failed.Stderr);
        Assert.Contains("'l-marker' failed", failed.Stderr, StringComparison.Ordinal);

        var list = await platform.RunAsync(null, "activations", "list", "--name", "l-marker");
        var get = await platform.RunAsync(null, "activations", "get", id);
        var logs = await platform.RunAsync(null, "activations", "logs", id);

        Assert.Contains(id, list.StdoutText, StringComparison.Ordinal);
        Assert.Equal(id, JsonDocument.Parse(get.StdoutText).RootElement.GetProperty("activationId").GetString());
        Assert.DoesNotContain("usage", get.StdoutText, StringComparison.Ordinal);
        Assert.True(logs.ExitCode == 0, logs.Stderr);
        Assert.Contains("usage: echo write:MARKER | marker", logs.StdoutText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task No_wait_prints_the_activation_id()
    {
        await platform.DeployAsync("w-hello", "hello");

        var started = await platform.RunAsync("later"u8.ToArray(), "invoke", "w-hello", "--no-wait");

        Assert.True(started.ExitCode == 0, started.Stderr);
        Assert.Matches("^[0-9a-f]{32}$", started.StdoutText.Trim());
    }

    [Fact]
    public async Task Actions_are_listed_and_a_deleted_one_leaves_the_policy()
    {
        await platform.DeployAsync("d-hello", "hello");
        await platform.RunAsync(null, "deploy", "d-plain", RepoPaths.Example("hello"), "--plaintext");

        var list = await platform.RunAsync(null, "actions", "list");
        var delete = await platform.RunAsync(null, "actions", "delete", "d-hello");
        var invoke = await platform.RunAsync("x"u8.ToArray(), "invoke", "d-hello");

        Assert.Matches("(?m)^d-hello +0\\.0\\.1 +wasm:wasi +confidential +128 MiB, 60000 ms$", list.StdoutText);
        Assert.Matches("(?m)^d-plain +0\\.0\\.1 +wasm:wasi +plaintext ", list.StdoutText);
        Assert.True(delete.ExitCode == 0, delete.Stderr);
        Assert.Matches("^deleted d-hello 0\\.0\\.1 \\(removed from policy v[0-9]+\\)$", delete.StdoutText.Trim());
        Assert.Equal(1, invoke.ExitCode);
        Assert.Contains("UnknownChain", invoke.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_environment_variables_reach_the_platform_without_a_data_dir()
    {
        var profile = PlatformProfile.Load(platform.DataDirectory);
        using var home = new TempDir();

        var list = await CarapaceProcess.RunAsync(platform.WorkDirectory, null, new Dictionary<string, string>
        {
            ["CARAPACE_HOME"] = home.Path,
            ["CARAPACE_URL"] = profile.Gateway.AbsoluteUri,
            ["CARAPACE_AUTH"] = profile.Auth,
            ["CARAPACE_CA_CERT"] = PlatformProfile.CaCertificatePathIn(platform.DataDirectory),
        }, "actions", "list");

        Assert.True(list.ExitCode == 0, list.Stderr);
    }

    [Fact]
    public async Task Mistakes_get_clear_messages_and_exit_codes()
    {
        using var empty = new TempDir();
        var noPlatform = await CarapaceProcess.RunAsync(empty.Path, null, "actions", "list", "--data-dir", empty.Path);
        var tooSmall = await platform.RunAsync(null, "deploy", "tiny", RepoPaths.Example("hello"), "--memory", "64");
        var badEnv = await platform.RunAsync(null, "deploy", "tiny", RepoPaths.Example("hello"), "--env", "NOEQUALS");
        var noModule = await platform.RunAsync(null, "deploy", "tiny", platform.File("missing.wasm"));
        var unknownStep = await platform.RunAsync(null, "chain", "create", "broken", "nope");

        Assert.Equal(1, noPlatform.ExitCode);
        Assert.Contains("no platform is running for data dir", noPlatform.Stderr, StringComparison.Ordinal);
        Assert.Contains("carapace up", noPlatform.Stderr, StringComparison.Ordinal);
        Assert.Equal(2, tooSmall.ExitCode);
        Assert.Contains("minimum of 128 MiB", tooSmall.Stderr, StringComparison.Ordinal);
        Assert.Equal(2, badEnv.ExitCode);
        Assert.Contains("--env expects K=V", badEnv.Stderr, StringComparison.Ordinal);
        Assert.Equal(3, noModule.ExitCode);
        Assert.Equal(1, unknownStep.ExitCode);
        Assert.Contains("'nope'", unknownStep.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("deploy")]
    [InlineData("chain", "create")]
    [InlineData("invoke")]
    [InlineData("activations", "list")]
    [InlineData("activations", "get")]
    [InlineData("activations", "logs")]
    [InlineData("actions", "list")]
    [InlineData("actions", "delete")]
    [InlineData("receipt", "verify")]
    public async Task Every_client_command_has_help_with_examples(params string[] command)
    {
        var result = await CarapaceProcess.RunAsync(platform.WorkDirectory, null, [.. command, "--help"]);

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("--data-dir", result.StdoutText, StringComparison.Ordinal);
        Assert.Contains("Examples:", result.StdoutText, StringComparison.Ordinal);
        Assert.Contains("  carapace " + string.Join(' ', command), result.StdoutText, StringComparison.Ordinal);
    }
}
