using System.Net;
using System.Text.Json;

namespace Carapace.Cli.Tests.Platform;

/// <summary>
/// <c>carapace up</c> killed (SIGKILL) under load and started again on the same data directory: every activation a
/// client was given an id for is in the list afterwards and has ended — the ones in flight as recorded failures that say
/// why — the KMS's audit log verifies, and every SQLite file passes <c>PRAGMA integrity_check</c>.
/// </summary>
public sealed class UpCrashTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task A_killed_up_restarted_on_its_data_loses_no_acknowledged_activation_and_its_state_verifies()
    {
        var data = _dir.File("data");
        var acknowledged = new List<PlatformHttp.Answer>();
        var inFlight = new List<string>();
        InvocationLoad load;
        await using (var up = await UpProcess.StartAsync(data))
        {
            await DeployAsync(data, "hello", "hello");
            await DeployAsync(data, "spin", "spin", "--timeout", "30000");
            using var platform = PlatformHttp.Connect(data);
            using var keys = await platform.KeysAsync("hello");
            using var spinKeys = await platform.KeysAsync("spin");
            load = new InvocationLoad(platform, "hello", keys.Entry);
            await load.WaitForMoreAsync(5, TimeSpan.FromSeconds(60));

            // Accepted, not finished when the platform dies: a function that runs until its 30 s limit.
            for (var i = 0; i < 2; i++)
            {
                var started = await platform.InvokeAsync("spin", spinKeys.Entry, blocking: false);
                Assert.True(started.Status == HttpStatusCode.Accepted, started.ToString());
                inFlight.Add(started.ActivationId!);
            }

            await load.WaitForMoreAsync(3, TimeSpan.FromSeconds(60));
            System.Diagnostics.Process.GetProcessById(up.ProcessId).Kill();
            await load.StopAsync();
            acknowledged.AddRange(load.Answers.Where(a => a.ActivationId is not null));
        }

        await load.DisposeAsync();
        Assert.NotEmpty(acknowledged);

        await using (var again = await UpProcess.StartAsync(data))
        {
            Assert.Contains("recovered", again.Stdout, StringComparison.Ordinal);
            using var platform = PlatformHttp.Connect(data);
            using var listed = JsonDocument.Parse(await platform.Http.GetStringAsync("api/v1/namespaces/_/activations?limit=200"));
            var ids = listed.RootElement.EnumerateArray().Select(a => a.GetProperty("activationId").GetString()).ToHashSet();
            foreach (var answer in acknowledged)
            {
                Assert.Contains(answer.ActivationId, ids);
                var activation = await Chaos.AssertEndedAsync(platform, answer.ActivationId!);
                if (answer.Status == HttpStatusCode.OK)
                {
                    Assert.True(activation.GetProperty("response").GetProperty("success").GetBoolean(), answer.ToString());
                }
            }

            foreach (var id in inFlight)
            {
                Assert.Contains(id, ids);
                var response = (await Chaos.AssertEndedAsync(platform, id)).GetProperty("response");
                Assert.Equal("whisk internal error", response.GetProperty("status").GetString());
                Assert.Equal("the platform stopped while this step was running", response.GetProperty("result").GetProperty("error").GetString());
            }

            // The KMS's hash-chained audit log (policies, releases) verifies after the crash.
            var audit = await CarapaceProcess.RunAsync(_dir.Path, null, new Dictionary<string, string> { ["CARAPACE_HOME"] = data },
                "kms", "audit", "guest", "--sign", Path.Combine(data, "owner.key"), "--verify", "--json", "--data-dir", data);
            Assert.True(audit.ExitCode == 0, audit.Stderr);
            using var verification = JsonDocument.Parse(audit.Stdout);
            Assert.True(verification.RootElement.GetProperty("verification").GetProperty("intact").GetBoolean());
            Assert.Equal(0, await again.StopAsync());
        }

        foreach (var database in Chaos.Databases(data))
        {
            Assert.Equal("ok", Chaos.IntegrityCheck(database));
        }
    }

    private async Task DeployAsync(string data, string name, string example, params string[] extra)
    {
        var result = await CarapaceProcess.RunAsync(_dir.Path, null, new Dictionary<string, string> { ["CARAPACE_HOME"] = data },
            ["deploy", name, RepoPaths.Example(example), "--memory", "128", "--data-dir", data, .. extra]);
        Assert.True(result.ExitCode == 0, result.Stderr);
    }
}
