using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Carapace.Controller;
using Carapace.Controller.Activations;
using Carapace.Controller.Registry;
using Carapace.Envelope.Format;
using Carapace.Envelope.Sealing;
using Carapace.Protocol;

namespace Carapace.Platform.Tests;

/// <summary>
/// A request id is used up only by an input an enclave accepted as authentic. A damaged copy delivered first is refused
/// by the enclave and recorded, and its step claim is withdrawn, so the genuine copy then runs, exactly once; after it
/// ran, the controller (409) and the enclave's replay guard both still refuse it. One enclave per action, so that the
/// enclave fed directly is the one that ran the request.
/// </summary>
public sealed class RequestIdTests : IAsyncLifetime
{
    private const string EnvelopeType = "application/vnd.carapace.envelope";
    private PlatformFixture _platform = null!;

    public async Task InitializeAsync()
    {
        _platform = await PlatformFixture.StartAsync(maxEnclavesPerAction: 1);
        await _platform.DeployAsync("hello", "hello");
        await _platform.DeployAsync("wordcount", "wordcount");
    }

    public async Task DisposeAsync() => await _platform.DisposeAsync();

    [Fact]
    public async Task A_tampered_copy_sent_first_leaves_the_request_id_to_the_genuine_one_which_runs_once_and_is_not_replayable()
    {
        using var keys = await _platform.ChainKeysAsync("hello");
        var requestId = RequestId.New();
        var genuine = EnvelopeSealer.Seal(keys.Entry, "genuine"u8, new SealOptions { Function = "hello", RequestId = requestId });
        var client = _platform.Client();
        var store = _platform.Host.Activations;

        using var refused = await client.PostAsync("api/v1/namespaces/_/actions/hello?blocking=true", Content(Tampered(genuine)));
        var refusal = await ResponseOfAsync(refused);
        Assert.Equal(HttpStatusCode.BadGateway, refused.StatusCode);
        Assert.Equal("application error", refusal.GetProperty("status").GetString());
        var error = refusal.GetProperty("result").GetProperty("error").GetString()!;
        Assert.Contains("authentication failed", error, StringComparison.Ordinal);
        Assert.Contains("request id is not used up", error, StringComparison.Ordinal);
        Assert.Null(store.GetStep(requestId, "hello", 1));

        using var ran = await client.PostAsync("api/v1/namespaces/_/actions/hello?blocking=true&result=true", Content(genuine));
        Assert.Equal(HttpStatusCode.OK, ran.StatusCode);
        using (var opened = EnvelopeOpener.Open(keys.Exit, await ran.Content.ReadAsByteArrayAsync()))
        {
            Assert.Equal("GENUINE", Encoding.UTF8.GetString(opened.Payload.Span).Trim());
        }

        var claim = store.GetStep(requestId, "hello", 1)!;
        Assert.Equal(StepState.Succeeded, claim.State);
        Assert.Equal(ran.Headers.GetValues("Carapace-Activation-Id").Single(), claim.ActivationId.ToString());

        // After it ran, the request id is used up: the controller refuses a replay, and so does the enclave that ran it.
        using var replayed = await client.PostAsync("api/v1/namespaces/_/actions/hello?blocking=true", Content(genuine));
        Assert.Equal(HttpStatusCode.Conflict, replayed.StatusCode);
        var hello = _platform.Host.Registry.Get(ActionName.Of(PlatformFixture.Namespace, "hello"))!;
        var direct = await _platform.Host.Pools.For(hello).InvokeAsync(genuine);
        Assert.Equal(InvocationStatus.InputRejected, direct.Result.Status);
        Assert.Equal(InputRejectionReason.Replay, direct.Result.Reason);
        Assert.Contains("(replay)", direct.Result.Message, StringComparison.Ordinal);

        var activations = store.List(PlatformFixture.Namespace, "hello", PageRequest.Default);
        Assert.Equal(3, activations.Count);
        Assert.Single(activations, a => a.Response!.Status == ActivationStatus.Success);
        Assert.Equal(2, activations.Count(a => a.Response!.Status == ActivationStatus.ApplicationError));
    }

    [Fact]
    public async Task A_chain_whose_entry_was_tampered_first_runs_every_step_of_the_genuine_request_exactly_once()
    {
        await _platform.ChainAsync("pair", "hello", "wordcount");
        using var keys = await _platform.ChainKeysAsync("pair");
        var requestId = RequestId.New();
        var genuine = EnvelopeSealer.Seal(keys.Entry, "one two\nthree\n"u8, new SealOptions { Function = "pair", RequestId = requestId });
        var client = _platform.Client();
        var store = _platform.Host.Activations;

        using var refused = await client.PostAsync("api/v1/namespaces/_/actions/pair?blocking=true", Content(Tampered(genuine)));
        using var ran = await client.PostAsync("api/v1/namespaces/_/actions/pair?blocking=true&result=true", Content(genuine));
        using var replayed = await client.PostAsync("api/v1/namespaces/_/actions/pair?blocking=true", Content(genuine));

        Assert.Equal(HttpStatusCode.BadGateway, refused.StatusCode);
        Assert.Equal(HttpStatusCode.OK, ran.StatusCode);
        using (var opened = EnvelopeOpener.Open(keys.Exit, await ran.Content.ReadAsByteArrayAsync()))
        {
            Assert.Equal("2 3 14", Encoding.UTF8.GetString(opened.Payload.Span).Trim());
        }

        Assert.Equal(HttpStatusCode.Conflict, replayed.StatusCode);
        Assert.Equal(StepState.Succeeded, store.GetStep(requestId, "pair", 1)!.State);
        Assert.Equal(StepState.Succeeded, store.GetStep(requestId, "pair", 2)!.State);
        var hello = store.List(PlatformFixture.Namespace, "hello", PageRequest.Default);
        Assert.Single(hello, a => a.Response!.Status == ActivationStatus.Success);
        Assert.Equal(3, hello.Count);
        var wordcount = Assert.Single(store.List(PlatformFixture.Namespace, "wordcount", PageRequest.Default));
        Assert.Equal(ActivationStatus.Success, wordcount.Response!.Status);
    }

    /// <summary>A copy with one bit of its last chunk flipped: the header (and so the addressing) is intact, the data is not.</summary>
    private static byte[] Tampered(byte[] envelope)
    {
        var copy = envelope.ToArray();
        copy[^3] ^= 1;
        return copy;
    }

    private static async Task<JsonElement> ResponseOfAsync(HttpResponseMessage response)
    {
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return json.RootElement.GetProperty("response").Clone();
    }

    private static ByteArrayContent Content(byte[] envelope)
    {
        var content = new ByteArrayContent(envelope);
        content.Headers.ContentType = new MediaTypeHeaderValue(EnvelopeType);
        return content;
    }
}
