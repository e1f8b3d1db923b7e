using System.Net;
using System.Text;
using System.Text.Json;
using Carapace.Client.Profiles;

namespace Carapace.Cli.Tests.Platform;

/// <summary>
/// Chaos on a real <c>carapace up</c>'s KMS child: killed under a load of invocations, killed with its port taken, frozen.
/// The platform notices, logs, restarts it (on the same port while it can, on a new one that every holder learns
/// otherwise), reports it in <c>carapace status</c>, answers new enclaves 503 meanwhile, and loses no acknowledged activation.
/// </summary>
public sealed class KmsSupervisionTests : IDisposable
{
    private static readonly TimeSpan Restart = TimeSpan.FromSeconds(60);
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task A_kms_killed_under_load_is_restarted_on_its_port_then_moves_when_the_port_is_taken_and_nothing_acknowledged_is_lost()
    {
        var data = _dir.File("data");
        await using var up = await UpProcess.StartAsync(data);
        await DeployAsync(data, "hello");
        await DeployAsync(data, "later");
        using var platform = PlatformHttp.Connect(data);
        using var keys = await platform.KeysAsync("hello");
        using var laterKeys = await platform.KeysAsync("later");
        var first = new Uri((await platform.InfoAsync()).GetProperty("kms").GetProperty("url").GetString()!);
        await using var load = new InvocationLoad(platform, "hello", keys.Entry);
        await load.WaitForMoreAsync(3, TimeSpan.FromSeconds(60));
        Assert.True(load.Answers.All(a => a.Status == HttpStatusCode.OK), string.Join("\n", load.Answers));

        // Killed: restarted on the same port, so every holder of the address still has the right one.
        Chaos.Signal(Chaos.KmsOf(data), Chaos.SigKill);
        var health = await platform.WaitForKmsAsync(h => h.GetProperty("restarts").GetInt32() == 1 && IsUp(h), Restart, "up again");
        Assert.Contains("was killed by signal 9", health.GetProperty("lastError").GetString(), StringComparison.Ordinal);
        Assert.Equal(first.AbsoluteUri, (await platform.InfoAsync()).GetProperty("kms").GetProperty("url").GetString());
        Assert.Equal(first.AbsoluteUri, PlatformProfile.Load(data).Kms!.Url);
        await load.WaitForMoreAsync(3, TimeSpan.FromSeconds(60));

        // Killed while another process takes its port: it moves, and the gateway, platform.json and new enclaves follow.
        Chaos.Signal(Chaos.KmsOf(data), Chaos.SigKill);
        using (await Chaos.SquatAsync(first.Port, TimeSpan.FromSeconds(5)))
        {
            await platform.WaitForKmsAsync(h => h.GetProperty("restarts").GetInt32() == 2 && IsUp(h), Restart, "up again on another port");
            var moved = (await platform.InfoAsync()).GetProperty("kms").GetProperty("url").GetString()!;
            Assert.NotEqual(first.AbsoluteUri, moved);
            await WaitForAsync(() => PlatformProfile.Load(data).Kms!.Url == moved, TimeSpan.FromSeconds(10), "platform.json names the new KMS address");
            Assert.Contains(moved, await File.ReadAllTextAsync(Path.Combine(data, "kms", "endpoint.json")), StringComparison.Ordinal);
            Assert.True(up.Stderr.Contains("restarts on a new port", StringComparison.Ordinal), up.Stderr);

            // A new enclave attests to the new address; a client command finds it through platform.json.
            var later = await platform.InvokeAsync("later", laterKeys.Entry);
            Assert.True(later.Status == HttpStatusCode.OK, later.ToString());
            var invoked = await CarapaceProcess.RunAsync(_dir.Path, Encoding.UTF8.GetBytes("moved"), new Dictionary<string, string> { ["CARAPACE_HOME"] = data },
                "invoke", "hello", "--data-dir", data);
            Assert.True(invoked.ExitCode == 0, invoked.Stderr);
            Assert.Equal("MOVED", invoked.StdoutText.Trim());
        }

        await load.StopAsync();
        var status = await CarapaceProcess.RunAsync(_dir.Path, null, "status", "--data-dir", data, "--json");
        Assert.True(status.ExitCode == 0, status.Stderr + status.StdoutText);
        using (var json = JsonDocument.Parse(status.Stdout))
        {
            Assert.True(json.RootElement.GetProperty("healthy").GetBoolean());
            Assert.Equal("up", json.RootElement.GetProperty("kms").GetProperty("state").GetString());
            Assert.Equal(2, json.RootElement.GetProperty("kms").GetProperty("restarts").GetInt32());
        }

        // Every acknowledged activation is recorded and ended; the load never saw a 500 or a dropped connection.
        Assert.Empty(load.Errors);
        Assert.Contains(load.Answers, a => a.Status == HttpStatusCode.OK);
        foreach (var answer in load.Answers)
        {
            Assert.True(answer.Status is HttpStatusCode.OK or HttpStatusCode.ServiceUnavailable or HttpStatusCode.BadGateway, answer.ToString());
            Assert.NotNull(answer.ActivationId);
            var activation = await Chaos.AssertEndedAsync(platform, answer.ActivationId!);
            if (answer.Status == HttpStatusCode.OK)
            {
                Assert.True(activation.GetProperty("response").GetProperty("success").GetBoolean(), answer.ToString());
            }
            else if (answer.Status == HttpStatusCode.ServiceUnavailable)
            {
                Assert.NotNull(answer.RetryAfter);
                Assert.Contains("the KMS is unavailable", answer.Body, StringComparison.Ordinal);
            }
        }

        Assert.True(up.Stderr.Contains("the KMS was killed by signal 9", StringComparison.Ordinal), up.Stderr);
        Assert.True(up.Stderr.Contains("the KMS is back at", StringComparison.Ordinal), up.Stderr);
    }

    [Fact]
    public async Task A_frozen_kms_is_killed_and_restarted_and_a_new_enclave_waiting_for_it_gets_a_503_not_a_hang()
    {
        var data = _dir.File("data");
        await using var up = await UpProcess.StartAsync(data);
        await DeployAsync(data, "cold");
        using var platform = PlatformHttp.Connect(data);
        using var keys = await platform.KeysAsync("cold");
        var kms = Chaos.KmsOf(data);

        Chaos.Signal(kms, Chaos.SigStop);
        await Chaos.WaitForStateAsync(kms, s => s == 'T', TimeSpan.FromSeconds(10), "stop");
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var refused = await platform.InvokeAsync("cold", keys.Entry, cancellationToken: deadline.Token);

        Assert.True(refused.Status == HttpStatusCode.ServiceUnavailable, refused.ToString());
        Assert.NotNull(refused.RetryAfter);
        Assert.Contains("the KMS is unavailable", refused.Body, StringComparison.Ordinal);
        var failed = await Chaos.AssertEndedAsync(platform, refused.ActivationId!);
        Assert.Equal("whisk internal error", failed.GetProperty("response").GetProperty("status").GetString());

        var health = await platform.WaitForKmsAsync(h => h.GetProperty("restarts").GetInt32() == 1 && IsUp(h), Restart, "up again");
        Assert.Contains("stopped answering its health probe", health.GetProperty("lastError").GetString(), StringComparison.Ordinal);
        await Chaos.WaitForStateAsync(kms, s => s is null or 'Z', TimeSpan.FromSeconds(10), "be killed");
        var served = await platform.InvokeAsync("cold", keys.Entry);
        Assert.True(served.Status == HttpStatusCode.OK, served.ToString());
        Assert.True(up.Stderr.Contains("did not answer its health probe", StringComparison.Ordinal), up.Stderr);
    }

    private static bool IsUp(JsonElement health) => health.GetProperty("state").GetString() == "up";

    private async Task DeployAsync(string data, string name)
    {
        var result = await CarapaceProcess.RunAsync(_dir.Path, null, new Dictionary<string, string> { ["CARAPACE_HOME"] = data },
            "deploy", name, RepoPaths.Example("hello"), "--memory", "128", "--data-dir", data);
        Assert.True(result.ExitCode == 0, result.Stderr);
    }

    private static async Task WaitForAsync(Func<bool> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"not true within {timeout.TotalSeconds} s: {what}");
            await Task.Delay(20);
        }
    }
}
