using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Carapace.Client.Gateway;
using Carapace.Client.Profiles;

namespace Carapace.Cli.Tests.Platform;

/// <summary>
/// JavaScript actions (OpenWhisk's <c>nodejs</c> kinds) deployed with <c>carapace deploy NAME FILE.js</c> against a
/// real <c>carapace up</c>: confidential (measured with the JavaScript enclave's reference values, sealed input and
/// output, receipts verified), plaintext, and with sealed code; and the marker test for a JavaScript function's input
/// and its sealed source.
/// </summary>
public sealed class JavaScriptDeployTests(RunningPlatform platform) : IClassFixture<RunningPlatform>
{
    private const string Hello = """
        function main(params) {
          console.log('greeting ' + params.name);
          return { payload: 'Hello, ' + (params.name || 'World') + '!' };
        }
        """;

    [Fact]
    public async Task A_confidential_javascript_action_deploys_runs_and_its_receipt_verifies()
    {
        await File.WriteAllTextAsync(platform.File("hello.js"), Hello);

        var deploy = await platform.RunAsync(null, "deploy", "js-hello", platform.File("hello.js"), "--memory", "128");
        var invoke = await platform.RunAsync("""{"name":"Ada"}"""u8.ToArray(), "invoke", "js-hello", "--receipt", platform.File("js-receipts.json"));
        var verify = await platform.RunAsync(null, "receipt", "verify", platform.File("js-receipts.json"));

        Assert.True(deploy.ExitCode == 0, deploy.Stderr);
        Assert.Matches("(?m)^measurement [0-9a-f]{64}$", deploy.StdoutText);
        Assert.True(invoke.ExitCode == 0, invoke.Stderr);
        Assert.Equal("Hello, Ada!", JsonDocument.Parse(invoke.StdoutText).RootElement.GetProperty("payload").GetString());
        Assert.Matches(@"^js-hello: (cold|warm), [0-9]+\.[0-9] ms, activation [0-9a-f]{32}, 1 receipt verified$", invoke.StderrLines.Last());
        Assert.True(verify.ExitCode == 0, verify.Stderr + verify.StdoutText);
        Assert.Contains("receipt 1: verified", verify.StdoutText, StringComparison.Ordinal);

        using var gateway = GatewayClient.Create(PlatformProfile.Load(platform.DataDirectory));
        var stored = await gateway.GetActionAsync("js-hello", withCode: true);
        Assert.Equal("nodejs:default", stored.Kind);
        Assert.Equal("main", stored.Main);
        Assert.True(stored.Confidential);
        Assert.Equal(Hello, Encoding.UTF8.GetString(stored.Code!.Value.Span));
    }

    [Fact]
    public async Task Kind_main_and_sealed_code_are_measured_and_a_plaintext_javascript_action_runs_in_the_clear()
    {
        await File.WriteAllTextAsync(platform.File("greet.js"), "function greet(p) { return { hi: p.name }; }\n");
        await File.WriteAllTextAsync(platform.File("plain.js"), Hello);

        var deploy = await platform.RunAsync(null, "deploy", "js-greet", platform.File("greet.js"), "--memory", "128",
            "--kind", "nodejs:20", "--main", "greet", "--sealed-code");
        var invoke = await platform.RunAsync("""{"name":"Bo"}"""u8.ToArray(), "invoke", "js-greet");
        var plain = await platform.RunAsync(null, "deploy", "js-plain", platform.File("plain.js"), "--memory", "128", "--plaintext");
        var badKind = await platform.RunAsync(null, "deploy", "js-bad", platform.File("greet.js"), "--kind", "python:3");
        var badMain = await platform.RunAsync(null, "deploy", "js-bad", platform.File("greet.js"), "--main", "not-a-name");

        Assert.True(deploy.ExitCode == 0, deploy.Stderr);
        Assert.True(invoke.ExitCode == 0, invoke.Stderr);
        Assert.Equal("Bo", JsonDocument.Parse(invoke.StdoutText).RootElement.GetProperty("hi").GetString());
        Assert.True(plain.ExitCode == 0, plain.Stderr);
        Assert.Matches("(?m)^measurement none", plain.StdoutText);
        Assert.Equal(2, badKind.ExitCode);
        Assert.Contains("--kind 'python:3'", badKind.Stderr, StringComparison.Ordinal);
        Assert.Equal(2, badMain.ExitCode);
        Assert.Contains("not a JavaScript identifier", badMain.Stderr, StringComparison.Ordinal);

        using var gateway = GatewayClient.Create(PlatformProfile.Load(platform.DataDirectory));
        var stored = await gateway.GetActionAsync("js-greet", withCode: true);
        Assert.Equal(("nodejs:20", "greet"), (stored.Kind, stored.Main));
        Assert.Equal(Carapace.Functions.SealedCode.JavaScriptStub.ToArray(), stored.Code!.Value.ToArray());
        using var body = new StringContent("""{"name":"Cy"}""", Encoding.UTF8, "application/json");
        var response = await gateway.InvokeAsync("js-plain", body, blocking: true, result: true);
        Assert.True(response.IsSuccess, Encoding.UTF8.GetString(response.Body));
        Assert.Equal("Hello, Cy!", JsonDocument.Parse(response.Body).RootElement.GetProperty("payload").GetString());
    }

    /// <summary>
    /// The marker test for JavaScript (as <see cref="ConfidentialityTests"/> for data): a marker in the input of a
    /// confidential JavaScript action and one in its sealed source reach the enclave (the client sees the input's come
    /// back, and the source's length), yet neither is in any file of the data directory, the platform's output, the
    /// operator's API answers or the memory of the <c>up</c> process (gateway, controller, worker). The control: a
    /// marker in the source of an action deployed without sealed code is found by the same scan of the store.
    /// </summary>
    [Fact]
    public async Task A_marker_in_the_input_and_in_sealed_javascript_source_never_reaches_the_operator()
    {
        var marker = "js-input-marker-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));
        var sourceMarker = "js-source-marker-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));
        var control = "js-public-source-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));
        await File.WriteAllTextAsync(platform.File("secret.js"), $$"""
            const tag = '{{sourceMarker}}';
            function main(params) {
              console.log('got ' + params.text);
              return { shout: params.text.toUpperCase(), tagged: tag.length };
            }
            """);
        await File.WriteAllTextAsync(platform.File("public.js"), $"function main() {{ return {{ t: '{control}'.length }}; }}\n");

        var deploy = await platform.RunAsync(null, "deploy", "js-secret", platform.File("secret.js"), "--memory", "128", "--sealed-code");
        var clear = await platform.RunAsync(null, "deploy", "js-public", platform.File("public.js"), "--memory", "128");
        Assert.True(deploy.ExitCode == 0, deploy.Stderr);
        Assert.True(clear.ExitCode == 0, clear.Stderr);
        for (var i = 0; i < 3; i++)
        {
            var run = await platform.RunAsync(Encoding.UTF8.GetBytes($$"""{"text":"{{marker}} #{{i}}"}"""), "invoke", "js-secret");
            Assert.True(run.ExitCode == 0, run.Stderr);
            var output = JsonDocument.Parse(run.StdoutText).RootElement;
            Assert.Equal($"{marker} #{i}".ToUpperInvariant(), output.GetProperty("shout").GetString());
            Assert.Equal(sourceMarker.Length, output.GetProperty("tagged").GetInt32());
        }

        var publicRun = await platform.RunAsync("{}"u8.ToArray(), "invoke", "js-public");
        Assert.True(publicRun.ExitCode == 0, publicRun.Stderr);
        var listed = await platform.RunAsync(null, "activations", "list", "--limit", "50");
        Assert.True(listed.ExitCode == 0, listed.Stderr);
        using var gateway = GatewayClient.Create(PlatformProfile.Load(platform.DataDirectory));
        var shown = (await gateway.GetActionAsync("js-secret", withCode: true)).Json.GetRawText();

        var files = Directory.EnumerateFiles(platform.DataDirectory, "*", SearchOption.AllDirectories).ToList();
        // The store (its file or, not yet checkpointed, its write-ahead log) holds public source.
        Assert.Contains(files, f => Path.GetFileName(f).StartsWith("controller.db", StringComparison.Ordinal) && Holds(f, Encoding.UTF8.GetBytes(control)));
        var patterns = new[] { marker, marker.ToUpperInvariant(), sourceMarker }
            .SelectMany(m => new[] { Encoding.UTF8.GetBytes(m), Encoding.Unicode.GetBytes(m) })
            .ToList();
        foreach (var text in new[] { listed.StdoutText, shown, platform.Up.Stdout + platform.Up.Stderr })
        {
            Assert.DoesNotContain(marker, text, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(sourceMarker, text, StringComparison.Ordinal);
        }

        foreach (var file in files)
        {
            Assert.True(!patterns.Any(p => Holds(file, p)), $"a marker is in {file}");
        }

        foreach (var pattern in patterns)
        {
            var hits = ProcessMemory.Find(platform.Up.ProcessId, pattern);
            Assert.True(hits.Count == 0, $"a marker is in the memory of the carapace up process: {string.Join(", ", hits)}");
        }
    }

    private static bool Holds(string path, byte[] pattern)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            return copy.GetBuffer().AsSpan(0, (int)copy.Length).IndexOf(pattern) >= 0;
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException)
        {
            return false; // gone since the listing (a lane file, a journal) or a socket
        }
    }
}
