using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Carapace.Attestation;
using Carapace.Attestation.Receipts;
using Carapace.Controller;
using Carapace.Controller.Activations;
using Carapace.Controller.Registry;
using Carapace.Envelope.Format;
using Carapace.Envelope.Sealing;
using Carapace.Protocol;
using Carapace.Worker.Enclaves;
using Carapace.Worker.Pools;

namespace Carapace.Platform.Tests;

/// <summary>
/// The test plays the untrusted controller and network of chain <c>pipeline</c> = hello → wordcount → sha256: it feeds
/// the platform's own enclave pools directly, in the wrong order, twice, spliced, cut short, or to a version of a step
/// the policy does not name. Every attack must fail authentication inside the enclave (or at the KMS), with a message
/// that names the problem and no output; the honest order still works.
/// </summary>
public sealed class ChainAttackTests : IAsyncLifetime
{
    private const string EnvelopeType = "application/vnd.carapace.envelope";
    private const string Chain = "pipeline";
    private PlatformFixture _platform = null!;
    private ChainKeySet _keys = null!;

    public async Task InitializeAsync()
    {
        _platform = await PlatformFixture.StartAsync();
        await _platform.DeployAsync("hello", "hello");
        await _platform.DeployAsync("wordcount", "wordcount");
        await _platform.DeployAsync("sha256", "sha256");
        await _platform.ChainAsync(Chain, "hello", "wordcount", "sha256");
        _keys = await _platform.ChainKeysAsync(Chain);
    }

    public async Task DisposeAsync()
    {
        _keys.Dispose();
        await _platform.DisposeAsync();
    }

    [Fact]
    public async Task A_controller_that_forwards_each_output_to_the_next_step_gets_the_chain_result()
    {
        var input = Entry("one two three\nfour\n");

        var step1 = await FeedAsync("hello", input);
        var step2 = await FeedAsync("wordcount", Completed(step1));
        var step3 = await FeedAsync("sha256", Completed(step2));

        using var opened = EnvelopeOpener.Open(_keys.Exit, Completed(step3).Span);
        var expected = Convert.ToHexStringLower(SHA256.HashData("2 4 19\n"u8));
        Assert.Contains(expected, Encoding.UTF8.GetString(opened.Payload.Span), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Step_one_output_given_to_step_three_is_rejected_by_its_enclave()
    {
        var step1 = await FeedAsync("hello", Entry("reordered"));

        var skipped = await FeedAsync("sha256", Completed(step1));

        AssertRejected(skipped, $"holds no key for edge {Chain} 1->2");
    }

    [Fact]
    public async Task Step_one_output_given_back_to_step_one_is_rejected_by_its_enclave()
    {
        // Step 1 holds the key of edge 1 -> 2 (it seals with it), but as an input it leads nowhere it may send.
        var step1 = await FeedAsync("hello", Entry("looped"));

        var looped = await FeedAsync("hello", Completed(step1));

        AssertRejected(looped, "released no output edge for step 2");
    }

    [Fact]
    public async Task Step_two_input_given_twice_to_the_same_enclave_is_refused_as_a_replay()
    {
        var step2Input = Completed(await FeedAsync("hello", Entry("twice")));

        var first = await FeedAsync("wordcount", step2Input);
        var replay = await FeedAsync("wordcount", step2Input);

        Assert.Equal(InvocationStatus.Completed, first.Result.Status);
        Assert.Equal(first.EnclaveProcessId, replay.EnclaveProcessId);
        AssertRejected(replay, "(replay)");
    }

    [Fact]
    public async Task A_replay_is_refused_even_after_the_enclave_received_inputs_of_its_other_chains()
    {
        // wordcount is step 1 of its own chain too: inputs on that edge must not push pipeline's edge out of the
        // enclave's replay memory, or one interleaved envelope would let a controller run a step twice.
        using var own = await _platform.ChainKeysAsync("wordcount");
        var step2Input = Completed(await FeedAsync("hello", Entry("interleaved")));

        var first = await FeedAsync("wordcount", step2Input);
        var other = await FeedAsync("wordcount", EnvelopeSealer.Seal(own.Entry, "other chain"u8, new SealOptions { Function = "wordcount" }));
        var replay = await FeedAsync("wordcount", step2Input);

        Assert.Equal(InvocationStatus.Completed, first.Result.Status);
        Assert.Equal(InvocationStatus.Completed, other.Result.Status);
        Assert.Equal(first.EnclaveProcessId, replay.EnclaveProcessId);
        AssertRejected(replay, "(replay)");
    }

    [Fact]
    public async Task A_client_envelope_posted_twice_is_a_conflict_and_every_step_ran_once()
    {
        var requestId = RequestId.New();
        var envelope = EnvelopeSealer.Seal(_keys.Entry, "only once"u8, new SealOptions { Function = Chain, RequestId = requestId });
        var client = _platform.Client();

        using var first = await client.PostAsync($"api/v1/namespaces/_/actions/{Chain}?blocking=true", Content(envelope));
        using var replay = await client.PostAsync($"api/v1/namespaces/_/actions/{Chain}?blocking=true", Content(envelope));

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, replay.StatusCode);
        using var json = JsonDocument.Parse(await replay.Content.ReadAsStringAsync());
        Assert.Contains("at most once per request id", json.RootElement.GetProperty("response").GetProperty("result").GetProperty("error").GetString(),
            StringComparison.Ordinal);

        // Each step's claim names the activation of the first run, which succeeded; the replay's step 1 activation
        // is a refusal and nothing after it started.
        var store = _platform.Host.Activations;
        var steps = new[] { "hello", "wordcount", "sha256" };
        for (var step = 1; step <= 3; step++)
        {
            var claim = store.GetStep(requestId, Chain, step);
            Assert.NotNull(claim);
            Assert.Equal(StepState.Succeeded, claim.State);
            var ran = store.Get(claim.ActivationId!.Value);
            Assert.Equal(steps[step - 1], ran!.Name);
            Assert.Equal(ActivationStatus.Success, ran.Response!.Status);
        }

        var hello = store.List(PlatformFixture.Namespace, "hello", PageRequest.Default);
        Assert.Equal(2, hello.Count);
        Assert.Single(hello, a => a.Response!.Status == ActivationStatus.Success);
        Assert.Single(hello, a => a.Response!.Status == ActivationStatus.ApplicationError);
        Assert.Single(store.List(PlatformFixture.Namespace, "wordcount", PageRequest.Default));
        Assert.Single(store.List(PlatformFixture.Namespace, "sha256", PageRequest.Default));
    }

    [Fact]
    public async Task An_envelope_spliced_from_two_requests_is_rejected_and_the_genuine_one_still_runs()
    {
        var a = Entry(LargeText('a'));
        var b = Entry(LargeText('b'));
        var layout = Layout(a);
        Assert.True(layout.Chunks >= 3, $"the input must span several chunks, it has {layout.Chunks}");
        Assert.Equal(layout.HeaderLength, Layout(b).HeaderLength);

        // Header and chunk 0 of request a, then chunk 1 onwards of request b (same chain, edge and sizes).
        var cut = layout.HeaderLength + layout.NonFinalChunkLength;
        byte[] spliced = [.. a.AsSpan(0, cut), .. b.AsSpan(cut)];
        Assert.Equal(a.Length, spliced.Length);

        var refused = await FeedAsync("hello", spliced);
        AssertRejected(refused, "authentication failed (chunk 1)");

        // Chunk 0 authenticated, so request a was seen; the damaged copy must not get the genuine one refused.
        var genuine = await FeedAsync("hello", a);
        Assert.Equal(InvocationStatus.Completed, genuine.Result.Status);
    }

    [Fact]
    public async Task An_envelope_without_its_last_chunk_is_rejected_as_truncated()
    {
        var envelope = Entry(LargeText('c'));
        var layout = Layout(envelope);
        var withoutLast = envelope.AsMemory(0, layout.HeaderLength + ((layout.Chunks - 1) * layout.NonFinalChunkLength));

        var refused = await FeedAsync("hello", withoutLast);

        AssertRejected(refused, $"truncated: it ends after chunk {layout.Chunks - 2}, which was not sealed as the last one");
        Assert.Equal(InvocationStatus.Completed, (await FeedAsync("hello", envelope)).Result.Status);
    }

    [Fact]
    public async Task Step_two_output_routed_to_a_version_of_step_three_the_policy_does_not_name_gets_no_keys()
    {
        var step2Output = Completed(await FeedAsync("wordcount", Completed(await FeedAsync("hello", Entry("other version")))));

        // The operator redeploys sha256 with another manifest; the owners did not approve its measurement.
        await _platform.DeployAsync("sha256", "sha256", env: new Dictionary<string, string> { ["MODE"] = "other" }, publishPolicy: false);

        var lost = await Assert.ThrowsAsync<EnclaveException>(() => FeedAsync("sha256", step2Output));
        Assert.Contains("attestation rejected", lost.Message, StringComparison.Ordinal);
        Assert.Contains("is not in policy", lost.Message, StringComparison.Ordinal);

        // Through the gateway the chain fails at step 3 with a recorded error.
        using var response = await _platform.Client().PostAsync($"api/v1/namespaces/_/actions/{Chain}?blocking=true",
            Content(Entry("through the gateway")));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadGateway, text);
        using var json = JsonDocument.Parse(text);
        var activationId = json.RootElement.GetProperty("activationId").GetString()!;
        var error = json.RootElement.GetProperty("response").GetProperty("result").GetProperty("error").GetString()!;
        Assert.Equal("whisk internal error", json.RootElement.GetProperty("response").GetProperty("status").GetString());
        Assert.Contains("step 3", error, StringComparison.Ordinal);
        Assert.Contains("attestation rejected", error, StringComparison.Ordinal);

        using var recorded = await _platform.Client().GetAsync($"api/v1/namespaces/_/activations/{activationId}");
        using var record = JsonDocument.Parse(await recorded.Content.ReadAsStringAsync());
        Assert.False(record.RootElement.GetProperty("response").GetProperty("success").GetBoolean());
        Assert.Contains("attestation rejected", record.RootElement.GetProperty("response").GetProperty("result").GetProperty("error").GetString(),
            StringComparison.Ordinal);
        var sha256Steps = _platform.Host.Activations.List(PlatformFixture.Namespace, "sha256", PageRequest.Default);
        var failed = Assert.Single(sha256Steps);
        Assert.Equal(ActivationStatus.WhiskInternalError, failed.Response!.Status);
    }

    private async Task<InvocationOutcome> FeedAsync(string action, ReadOnlyMemory<byte> envelope)
    {
        var record = _platform.Host.Registry.Get(ActionName.Of(PlatformFixture.Namespace, action))
            ?? throw new InvalidOperationException($"action {action} is not deployed");
        return await _platform.Host.Pools.For(record).InvokeAsync(envelope);
    }

    /// <summary>The sealed output of a step that must have run.</summary>
    private static ReadOnlyMemory<byte> Completed(InvocationOutcome outcome)
    {
        Assert.True(outcome.Result.Status == InvocationStatus.Completed && outcome.Result.ExitCode == 0,
            $"{outcome.Result.Status}: {outcome.Result.Message}");
        Assert.True(outcome.Result.Output.Length > 0);
        return outcome.Result.Output;
    }

    /// <summary>The enclave refused the input for <paramref name="problem"/>, produced nothing, and signed (if at all) a refusal.</summary>
    private void AssertRejected(InvocationOutcome outcome, string problem)
    {
        var result = outcome.Result;
        Assert.Equal(InvocationStatus.InputRejected, result.Status);
        Assert.StartsWith("input rejected: ", result.Message, StringComparison.Ordinal);
        Assert.Contains(problem, result.Message, StringComparison.Ordinal);
        Assert.Equal(0, result.Output.Length);
        Assert.Equal(0, result.Log.Length);
        if (result.Receipt.Length > 0)
        {
            var verified = ReceiptVerifier.Verify(result.Receipt.Span, new VerificationOptions { SimulationQuotingKeys = [_platform.Quoting.PublicKey] });
            Assert.True(verified.Verified, verified.Message);
            Assert.Equal(InvocationStatus.InputRejected, verified.Receipt!.Status);
            Assert.Equal(0, verified.Receipt.OutputSha256.Length);
        }
    }

    private byte[] Entry(string text) =>
        EnvelopeSealer.Seal(_keys.Entry, Encoding.UTF8.GetBytes(text), new SealOptions { Function = Chain, RequestId = RequestId.New() });

    /// <summary>About 150 KiB of text: three 64 KiB chunks.</summary>
    private static string LargeText(char letter) =>
        string.Concat(Enumerable.Range(0, 150 * 1024 / 16).Select(i => $"{letter}{i % 1000:000} words here\n"));

    private static (int HeaderLength, int NonFinalChunkLength, int Chunks) Layout(byte[] envelope)
    {
        var header = EnvelopeHeader.Parse(envelope);
        return (header.Length, header.ChunkSize + 16, (int)header.ChunkCount(envelope.Length - header.Length));
    }

    private static ByteArrayContent Content(byte[] envelope)
    {
        var content = new ByteArrayContent(envelope);
        content.Headers.ContentType = new MediaTypeHeaderValue(EnvelopeType);
        return content;
    }
}
