using System.Security.Cryptography;
using System.Text;

namespace Carapace.Cli.Tests.Platform;

/// <summary>
/// The platform's promise, checked on a real <c>carapace up</c>: a unique marker put in invocation inputs, in chain
/// data and in a secret reaches the function (the client sees it come back), yet appears nowhere the operator can
/// look — the controller's database and activation records, the API's answers, the platform's logs, any file in the
/// data directory, or the readable memory of the <c>up</c> host process. Only the enclave processes (and the KMS
/// process, which holds the secret) may hold it.
/// </summary>
public sealed class ConfidentialityTests(RunningPlatform platform) : IClassFixture<RunningPlatform>
{
    [Fact]
    public async Task A_marker_in_inputs_chains_and_secrets_never_reaches_the_operator()
    {
        var marker = "carapace-marker-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));
        var secretMarker = marker.ToUpperInvariant().Replace("CARAPACE", "secret", StringComparison.Ordinal);

        // A function granted a secret (the args example prints its environment, where secrets appear).
        await platform.DeployAsync("greet", "args", "--secret", "MARKER_SECRET");
        await File.WriteAllTextAsync(platform.File("secret.txt"), secretMarker);
        var put = await platform.RunAsync(null, "secret", "put", "guest/MARKER_SECRET", "--from-file", platform.File("secret.txt"),
            "--sign", "owner=" + Path.Combine(platform.DataDirectory, "owner.key"));
        Assert.True(put.ExitCode == 0, put.Stderr);
        File.Delete(platform.File("secret.txt"));

        await platform.DeployAsync("hello", "hello");
        await platform.DeployAsync("wordcount", "wordcount");
        await platform.DeployAsync("sha256", "sha256");
        var chain = await platform.RunAsync(null, "chain", "create", "pipeline", "hello", "wordcount", "sha256");
        Assert.True(chain.ExitCode == 0, chain.Stderr);

        // Confidential invocations: the marker goes in sealed and comes back to the client only.
        var greeted = await platform.RunAsync(null, "invoke", "greet");
        Assert.True(greeted.ExitCode == 0, greeted.Stderr);
        Assert.Contains("env=MARKER_SECRET=" + secretMarker, greeted.StdoutText, StringComparison.Ordinal);
        for (var i = 0; i < 5; i++)
        {
            var echoed = await platform.RunAsync(Encoding.UTF8.GetBytes($"{marker} #{i}"), "invoke", "hello");
            Assert.True(echoed.ExitCode == 0, echoed.Stderr);
            Assert.Contains(marker.ToUpperInvariant(), echoed.StdoutText, StringComparison.Ordinal);
        }

        for (var i = 0; i < 3; i++)
        {
            var chained = await platform.RunAsync(Encoding.UTF8.GetBytes($"{marker} {marker} chain {i}\n"), "invoke", "pipeline");
            Assert.True(chained.ExitCode == 0, chained.Stderr);
        }

        // The control: the same kind of marker sent to a plaintext action is found by the very same scans, so a clean
        // result below means the confidential markers are absent, not that the scans are blind.
        var control = "carapace-control-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));
        await platform.DeployAsync("plain", "hello", "--plaintext");
        using (var gateway = Carapace.Client.Gateway.GatewayClient.Create(Carapace.Client.Profiles.PlatformProfile.Load(platform.DataDirectory)))
        {
            using var body = new StringContent($"{{\"text\":\"{control}\"}}", Encoding.UTF8, "application/json");
            var response = await gateway.InvokeAsync("plain", body, blocking: true, result: true);
            Assert.True(response.IsSuccess, Encoding.UTF8.GetString(response.Body));
        }

        Assert.NotEmpty(ProcessMemory.Find(platform.Up.ProcessId, Encoding.UTF8.GetBytes(control.ToUpperInvariant())));
        var database = Directory.EnumerateFiles(platform.DataDirectory, "controller.db*", SearchOption.AllDirectories).ToList();
        Assert.Contains(database, f => File.ReadAllBytes(f).AsSpan().IndexOf(Encoding.UTF8.GetBytes(control.ToUpperInvariant())) >= 0);

        // What the operator's API shows.
        var listed = await platform.RunAsync(null, "activations", "list", "--limit", "50");
        Assert.True(listed.ExitCode == 0, listed.Stderr);

        // Every form the marker could take in memory or on disk: as sent, upper-cased by hello, as the secret.
        var patterns = new[] { marker, marker.ToUpperInvariant(), secretMarker }
            .SelectMany(m => new[] { Encoding.UTF8.GetBytes(m), Encoding.Unicode.GetBytes(m) })
            .ToList();

        Assert.DoesNotContain(marker, listed.StdoutText, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(marker, platform.Up.Stdout + platform.Up.Stderr, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(secretMarker, platform.Up.Stdout + platform.Up.Stderr, StringComparison.Ordinal);

        var files = Directory.EnumerateFiles(platform.DataDirectory, "*", SearchOption.AllDirectories).ToList();
        Assert.Contains(files, f => f.EndsWith("controller.db", StringComparison.Ordinal));
        foreach (var file in files)
        {
            var bytes = await File.ReadAllBytesAsync(file);
            foreach (var pattern in patterns)
            {
                Assert.True(bytes.AsSpan().IndexOf(pattern) < 0, $"the marker is in {file}");
            }
        }

        foreach (var pattern in patterns)
        {
            var hits = ProcessMemory.Find(platform.Up.ProcessId, pattern);
            Assert.True(hits.Count == 0, $"the marker is in the memory of the carapace up process: {string.Join(", ", hits)}");
        }
    }
}
