using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Carapace.Controller.Activations;
using Carapace.Controller.Scheduling;
using Carapace.Envelope.Format;
using Carapace.Envelope.Sealing;

namespace Carapace.Platform.Tests;

/// <summary>
/// A non-blocking invocation is answered 202 as soon as its activation is recorded; the controller's queue, not the
/// caller, waits for a slot. The namespace's only slot is held by a function that spins until the test kills its
/// enclave (or stops the platform), so every 202 of the burst must arrive while nothing of the burst can have run.
/// </summary>
public sealed class NonBlockingTests
{
    private const string EnvelopeType = "application/vnd.carapace.envelope";
    private const int Burst = 200;

    [Fact]
    public async Task A_burst_is_accepted_while_the_namespace_slot_is_held_and_every_invocation_then_runs()
    {
        await using var platform = await PlatformFixture.StartAsync(admission: new AdmissionOptions { PerNamespaceConcurrency = 1 });
        var (client, spin, keys, cells) = await HoldTheSlotAsync(platform);
        using var helloKeys = keys;

        var accepted = await AcceptBurstAsync(client, keys);

        // Order, not time: the burst was answered while the slot holder still runs, so none of it can have run yet.
        var store = platform.Host.Activations;
        Assert.True(store.Get(spin)!.IsPending, "the spinning activation ended before the burst was accepted");
        Assert.All(accepted, a => Assert.True(store.Get(a.Id)!.IsPending, $"activation {a.Id} ran while the slot was held"));

        await KillSpinningEnclaveAsync(platform, cells);
        foreach (var (id, _) in accepted)
        {
            var record = await RecordedAsync(store, id);
            Assert.Equal(ActivationStatus.Success, record.Response!.Status);
        }

        var spun = await RecordedAsync(store, spin);
        Assert.Equal(ActivationStatus.WhiskInternalError, spun.Response!.Status);
        using var result = JsonDocument.Parse(await client.GetStringAsync($"api/v1/namespaces/_/activations/{accepted[^1].Id}/result"));
        using var opened = EnvelopeOpener.Open(keys.Exit, Convert.FromBase64String(result.RootElement.GetProperty("result").GetProperty("envelope").GetString()!));
        Assert.Equal($"BURST {Burst - 1}", Encoding.UTF8.GetString(opened.Payload.Span).Trim());
    }

    [Fact]
    public async Task Invocations_still_queued_when_the_platform_stops_are_recorded_as_not_run_and_their_request_ids_stay_usable()
    {
        await using var platform = await PlatformFixture.StartAsync(admission: new AdmissionOptions { PerNamespaceConcurrency = 1 });
        var (client, spin, keys, _) = await HoldTheSlotAsync(platform);
        using var helloKeys = keys;
        var accepted = await AcceptBurstAsync(client, keys, count: 20);

        await platform.RestartAsync();

        var store = platform.Host.Activations;
        Assert.Equal(0, platform.Host.AbandonedSteps);
        Assert.False(store.Get(spin)!.IsPending);
        foreach (var (id, _) in accepted)
        {
            var record = store.Get(id)!;
            Assert.Equal(ActivationStatus.WhiskInternalError, record.Response!.Status);
            Assert.StartsWith("the platform stopped before this activation ran",
                record.Response.Result.GetProperty("error").GetString(), StringComparison.Ordinal);
        }

        // Nothing of them ran, so the same envelope can be sent again and runs.
        using var again = await platform.Client().PostAsync("api/v1/namespaces/_/actions/hello?blocking=true&result=true", Content(accepted[0].Envelope));
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
    }

    /// <summary>
    /// Deploys hello and spin, and starts spin non-blocking: it takes the namespace's one slot at once and keeps it. Also
    /// returns the stem cells that were ready just before, one of which becomes spin's enclave.
    /// </summary>
    private static async Task<(HttpClient Client, ActivationId Spin, ChainKeySet Keys, IReadOnlySet<int> Cells)> HoldTheSlotAsync(PlatformFixture platform)
    {
        await platform.DeployAsync("spin", "spin", timeoutMs: 300_000);
        await platform.DeployAsync("hello", "hello");
        using var spinKeys = await platform.ChainKeysAsync("spin");
        var keys = await platform.ChainKeysAsync("hello");
        var client = platform.Client();
        Assert.True(await platform.Host.StemCells.WaitUntilFullAsync(TimeSpan.FromMinutes(2)), "the stem cells did not start");
        var cells = Children().ToHashSet();
        using var holding = await client.PostAsync("api/v1/namespaces/_/actions/spin",
            Content(EnvelopeSealer.Seal(spinKeys.Entry, [], new SealOptions { Function = "spin" })));
        Assert.Equal(HttpStatusCode.Accepted, holding.StatusCode);
        using var json = JsonDocument.Parse(await holding.Content.ReadAsStringAsync());
        Assert.True(ActivationId.TryParse(json.RootElement.GetProperty("activationId").GetString(), out var spin));
        return (client, spin, keys, cells);
    }

    private static async Task<(ActivationId Id, byte[] Envelope)[]> AcceptBurstAsync(HttpClient client, ChainKeySet keys, int count = Burst)
    {
        return await Task.WhenAll(Enumerable.Range(0, count).Select(async i =>
        {
            var envelope = EnvelopeSealer.Seal(keys.Entry, Encoding.UTF8.GetBytes($"burst {i}"), new SealOptions { Function = "hello" });
            using var response = await client.PostAsync("api/v1/namespaces/_/actions/hello", Content(envelope));
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"invocation {i}: {(int)response.StatusCode} {body}");
            using var json = JsonDocument.Parse(body);
            Assert.True(ActivationId.TryParse(json.RootElement.GetProperty("activationId").GetString(), out var id));
            return (id, envelope);
        }));
    }

    /// <summary>The activation once recorded; polls for at most two minutes.</summary>
    private static async Task<ActivationRecord> RecordedAsync(ActivationStore store, ActivationId id)
    {
        for (var poll = 0; poll < 1200; poll++)
        {
            if (store.Get(id) is { IsPending: false } record)
            {
                return record;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"activation {id} was not recorded within two minutes");
    }

    /// <summary>
    /// Kills spin's enclave: of the stem cells that were ready before spin was invoked (one of them was specialised for
    /// it), the one that keeps a CPU busy. The stem cell started to replace it is left to finish its warm-up first, and
    /// is not among the candidates anyway.
    /// </summary>
    private static async Task KillSpinningEnclaveAsync(PlatformFixture platform, IReadOnlySet<int> cells)
    {
        Assert.True(await platform.Host.StemCells.WaitUntilFullAsync(TimeSpan.FromMinutes(2)), "the stem cells were not refilled");
        for (var attempt = 0; attempt < 50; attempt++)
        {
            var before = cells.ToDictionary(pid => pid, CpuTicks);
            await Task.Delay(500);
            var busy = before.Where(c => c.Value >= 0 && CpuTicks(c.Key) - c.Value >= 3).Select(c => c.Key).ToList();
            if (busy.Count == 1)
            {
                using var process = Process.GetProcessById(busy[0]);
                process.Kill();
                return;
            }
        }

        throw new InvalidOperationException($"no single busy process among the stem cells {string.Join(", ", cells)} was found to end the spinning function");
    }

    private static IEnumerable<int> Children()
    {
        var self = Environment.ProcessId;
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && ParentOf(pid) == self)
            {
                yield return pid;
            }
        }
    }

    private static int ParentOf(int pid) => StatFields(pid) is { } fields ? int.Parse(fields[1], CultureInfo.InvariantCulture) : -1;

    /// <summary>User plus system CPU time of a process, in clock ticks; -1 once it is gone.</summary>
    private static long CpuTicks(int pid) => StatFields(pid) is { } fields
        ? long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)
        : -1;

    /// <summary>The fields of /proc/PID/stat after the command name (state first), or null once the process is gone.</summary>
    private static string[]? StatFields(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static ByteArrayContent Content(byte[] envelope)
    {
        var content = new ByteArrayContent(envelope);
        content.Headers.ContentType = new MediaTypeHeaderValue(EnvelopeType);
        return content;
    }
}
