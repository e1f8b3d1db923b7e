using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Carapace.Controller;
using Carapace.Controller.Activations;
using Carapace.Controller.Scheduling;
using Carapace.Envelope.Format;
using Carapace.Envelope.Sealing;
using Xunit.Abstractions;

namespace Carapace.Platform.Tests;

/// <summary>
/// Concurrent confidential invocations through the HTTPS gateway: none lost, none duplicated, each with its own
/// output; and a namespace over its admission bounds gets 429s while everything admitted still completes.
/// </summary>
public sealed class LoadTests(ITestOutputHelper output)
{
    private const string EnvelopeType = "application/vnd.carapace.envelope";

    [Fact]
    public async Task Two_thousand_invocations_at_concurrency_32_each_complete_once_with_their_own_output()
    {
        const int Invocations = 2_000;
        const int Concurrency = 32;
        await using var platform = await PlatformFixture.StartAsync(stemCells: 2,
            admission: new AdmissionOptions { PerNamespaceConcurrency = 64, MaxQueueLength = 4_096 },
            maxEnclavesPerAction: Math.Max(2, Environment.ProcessorCount));
        await platform.DeployAsync("hello", "hello");
        using var keys = await platform.ChainKeysAsync("hello");
        var client = platform.Client();

        var sent = new ConcurrentDictionary<string, RequestId>(StringComparer.Ordinal);
        var watch = Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(0, Invocations), new ParallelOptions { MaxDegreeOfParallelism = Concurrency }, async (i, ct) =>
        {
            var text = $"load {i} {Guid.NewGuid():N}";
            var requestId = RequestId.New();
            var envelope = EnvelopeSealer.Seal(keys.Entry, Encoding.UTF8.GetBytes(text), new SealOptions { Function = "hello", RequestId = requestId });
            using var response = await client.PostAsync("api/v1/namespaces/_/actions/hello?blocking=true&result=true", Content(envelope), ct);
            var body = await response.Content.ReadAsByteArrayAsync(ct);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"invocation {i}: {(int)response.StatusCode} {Encoding.UTF8.GetString(body)}");
            using var opened = EnvelopeOpener.Open(keys.Exit, body);
            Assert.Equal(text.ToUpperInvariant(), Encoding.UTF8.GetString(opened.Payload.Span).Trim());
            Assert.Equal(requestId, opened.Metadata.RequestId);
            Assert.True(sent.TryAdd(response.Headers.GetValues("Carapace-Activation-Id").Single(), requestId), $"activation id of invocation {i} seen twice");
        });
        watch.Stop();
        output.WriteLine($"{Invocations} invocations at concurrency {Concurrency}: {watch.Elapsed.TotalSeconds:0.0} s, "
            + $"{Invocations / watch.Elapsed.TotalSeconds:0} /s on {Environment.ProcessorCount} cores");

        // The gateway's list API, page by page, holds exactly those activations, each completed successfully.
        var listed = new List<JsonElement>();
        for (var skip = 0; ; skip += 200)
        {
            using var page = JsonDocument.Parse(await client.GetStringAsync($"api/v1/namespaces/_/activations?name=hello&limit=200&skip={skip}"));
            listed.AddRange(page.RootElement.EnumerateArray().Select(e => e.Clone()));
            if (page.RootElement.GetArrayLength() < 200)
            {
                break;
            }
        }

        Assert.Equal(Invocations, listed.Count);
        var listedIds = listed.Select(a => a.GetProperty("activationId").GetString()!).ToHashSet(StringComparer.Ordinal);
        Assert.Equal(Invocations, listedIds.Count);
        Assert.True(listedIds.SetEquals(sent.Keys), "the listed activations are not the invoked ones");
        Assert.All(listed, a => Assert.Equal(0, a.GetProperty("statusCode").GetInt32()));

        // Every request id ran its one step exactly once, in the activation the client was told about.
        Assert.Equal(Invocations, sent.Values.Distinct().Count());
        var store = platform.Host.Activations;
        foreach (var (activationId, requestId) in sent)
        {
            var claim = store.GetStep(requestId, "hello", 1);
            Assert.NotNull(claim);
            Assert.Equal(StepState.Succeeded, claim.State);
            Assert.Equal(activationId, claim.ActivationId.ToString());
        }
    }

    [Fact]
    public async Task A_burst_over_a_tiny_queue_gets_429s_and_every_admitted_invocation_completes()
    {
        await using var platform = await PlatformFixture.StartAsync(admission: new AdmissionOptions { PerNamespaceConcurrency = 1, MaxQueueLength = 1 });
        await platform.DeployAsync("spin", "spin", timeoutMs: 5_000);
        await platform.DeployAsync("hello", "hello");
        using var spinKeys = await platform.ChainKeysAsync("spin");
        using var keys = await platform.ChainKeysAsync("hello");
        var client = platform.Client();

        // A non-blocking spin holds the namespace's one slot (it is admitted before 202 is returned) for seconds.
        using var holding = await client.PostAsync("api/v1/namespaces/_/actions/spin",
            Content(EnvelopeSealer.Seal(spinKeys.Entry, [], new SealOptions { Function = "spin" })));
        Assert.Equal(HttpStatusCode.Accepted, holding.StatusCode);

        var burst = await Task.WhenAll(Enumerable.Range(0, 16).Select(async i =>
        {
            var text = $"burst {i}";
            var envelope = EnvelopeSealer.Seal(keys.Entry, Encoding.UTF8.GetBytes(text), new SealOptions { Function = "hello" });
            using var response = await client.PostAsync("api/v1/namespaces/_/actions/hello?blocking=true&result=true", Content(envelope));
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                var (error, _) = await FailureTests.OpenWhiskErrorAsync(response);
                Assert.Contains("Too many requests", error, StringComparison.Ordinal);
                Assert.Equal("1", response.Headers.GetValues("Retry-After").Single());
                return response.StatusCode;
            }

            var body = await response.Content.ReadAsByteArrayAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"burst {i}: {(int)response.StatusCode} {Encoding.UTF8.GetString(body)}");
            using var opened = EnvelopeOpener.Open(keys.Exit, body);
            Assert.Equal(text.ToUpperInvariant(), Encoding.UTF8.GetString(opened.Payload.Span).Trim());
            return response.StatusCode;
        }));

        var refused = burst.Count(s => s == HttpStatusCode.TooManyRequests);
        output.WriteLine($"burst of {burst.Length}: {refused} refused with 429, {burst.Length - refused} completed");
        Assert.InRange(refused, 1, burst.Length - 1);

        // Refused requests left no records; every admitted one is recorded as a success.
        var records = platform.Host.Activations.List(PlatformFixture.Namespace, "hello", PageRequest.Default);
        Assert.Equal(burst.Length - refused, records.Count);
        Assert.All(records, r => Assert.Equal(ActivationStatus.Success, r.Response!.Status));
    }

    private static ByteArrayContent Content(byte[] envelope)
    {
        var content = new ByteArrayContent(envelope);
        content.Headers.ContentType = new MediaTypeHeaderValue(EnvelopeType);
        return content;
    }
}
