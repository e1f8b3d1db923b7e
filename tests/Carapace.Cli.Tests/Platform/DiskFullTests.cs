using System.Net;
using System.Text;

namespace Carapace.Cli.Tests.Platform;

/// <summary>
/// A real <c>carapace up</c> whose data directory is on a small file system of its own that the test fills: the platform
/// answers what it cannot record with a 507 that says the disk is full (never a 500), and once space is back it works
/// again, every acknowledged activation is recorded and ended, and every SQLite file is intact.
/// </summary>
public sealed class DiskFullTests
{
    [SmallDiskFact]
    public async Task On_a_full_disk_the_platform_answers_507_saying_so_and_works_again_intact_once_space_returns()
    {
        using var disk = SmallDisk.Mount(128);
        var data = Path.Combine(disk.Path, "data");
        var work = Path.Combine(disk.Path, "work");
        Directory.CreateDirectory(work);
        var answers = new List<PlatformHttp.Answer>();
        await using (var up = await UpProcess.StartAsync(data))
        {
            Assert.True((await DeployAsync(work, data, "hello")).ExitCode == 0);
            using var platform = PlatformHttp.Connect(data);
            using var keys = await platform.KeysAsync("hello");
            answers.Add(await platform.InvokeAsync("hello", keys.Entry));
            Assert.Equal(HttpStatusCode.OK, answers[0].Status);

            Assert.True(disk.Fill() > 0);
            // SQLite reuses the pages it has, so some invocations may still be recorded: go on until one is refused.
            PlatformHttp.Answer? refused = null;
            for (var i = 0; i < 300 && refused is null; i++)
            {
                var answer = await platform.InvokeAsync("hello", keys.Entry);
                answers.Add(answer);
                Assert.True(answer.Status is HttpStatusCode.OK or HttpStatusCode.InsufficientStorage, answer.ToString());
                refused = answer.Status == HttpStatusCode.InsufficientStorage ? answer : null;
            }

            Assert.NotNull(refused);
            Assert.Contains("disk is full", refused.Body, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", refused.Body, StringComparison.Ordinal);
            var deploy = await DeployAsync(work, data, "second");
            Assert.NotEqual(0, deploy.ExitCode);
            Assert.Contains("disk is full", deploy.Stderr, StringComparison.Ordinal);
            Assert.DoesNotContain("500", deploy.Stderr, StringComparison.Ordinal);

            disk.Free();
            var after = await platform.InvokeAsync("hello", keys.Entry);
            Assert.True(after.Status == HttpStatusCode.OK, after.ToString());
            var redeploy = await DeployAsync(work, data, "second");
            Assert.True(redeploy.ExitCode == 0, redeploy.Stderr);
            using var secondKeys = await platform.KeysAsync("second");
            var second = await platform.InvokeAsync("second", secondKeys.Entry);
            Assert.True(second.Status == HttpStatusCode.OK, second.ToString());

            foreach (var answer in answers.Where(a => a.ActivationId is not null))
            {
                await Chaos.AssertEndedAsync(platform, answer.ActivationId!);
            }

            var exit = await up.StopAsync();
            Assert.True(exit == 0, $"carapace up exited with {exit}:\n{up.Stderr}");
        }

        foreach (var database in Chaos.Databases(data))
        {
            Assert.Equal("ok", Chaos.IntegrityCheck(database));
        }
    }

    private static Task<CarapaceProcess.Result> DeployAsync(string work, string data, string name) =>
        CarapaceProcess.RunAsync(work, null, new Dictionary<string, string> { ["CARAPACE_HOME"] = data },
            "deploy", name, RepoPaths.Example("hello"), "--memory", "128", "--data-dir", data);
}
