using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Carapace.Attestation;
using Carapace.Attestation.Receipts;
using Carapace.Envelope.Format;
using Carapace.Envelope.Sealing;

namespace Carapace.Platform.Tests;

/// <summary>
/// Invocations through the real embedded platform: HTTPS gateway, untrusted controller, enclave processes attesting to
/// a real KMS. The client seals and opens; the platform moves envelopes.
/// </summary>
public sealed class InvocationTests : IAsyncLifetime
{
    private const string EnvelopeType = "application/vnd.carapace.envelope";
    private PlatformFixture _platform = null!;

    public async Task InitializeAsync() => _platform = await PlatformFixture.StartAsync();

    public async Task DisposeAsync() => await _platform.DisposeAsync();

    [Fact]
    public async Task A_confidential_action_returns_the_sealed_output_only_the_client_opens()
    {
        await _platform.DeployAsync("hello", "hello");
        using var keys = await _platform.ChainKeysAsync("hello");
        var client = _platform.Client();

        using var response = await client.PostAsync("api/v1/namespaces/_/actions/hello?blocking=true&result=true",
            Sealed(keys, "hello, platform"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(EnvelopeType, response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("true", response.Headers.GetValues("Carapace-Cold").Single());
        var body = await response.Content.ReadAsByteArrayAsync();
        using var opened = EnvelopeOpener.Open(keys.Exit, body);
        Assert.Equal("HELLO, PLATFORM", Encoding.UTF8.GetString(opened.Payload.Span).Trim());

        // Warm now, and the activation record shows only sealed metadata.
        using var second = await client.PostAsync("api/v1/namespaces/_/actions/hello?blocking=true", Sealed(keys, "again"));
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        using var activation = JsonDocument.Parse(await second.Content.ReadAsStringAsync());
        var result = activation.RootElement.GetProperty("response").GetProperty("result");
        Assert.True(activation.RootElement.GetProperty("response").GetProperty("success").GetBoolean());
        Assert.Equal(64, result.GetProperty("sealedOutput").GetProperty("sha256").GetString()!.Length);
        using var again = EnvelopeOpener.Open(keys.Exit, Convert.FromBase64String(result.GetProperty("envelope").GetString()!));
        Assert.Equal("AGAIN", Encoding.UTF8.GetString(again.Payload.Span).Trim());
        Assert.Equal("false", second.Headers.GetValues("Carapace-Cold").Single());
    }

    [Fact]
    public async Task A_chain_runs_every_step_in_its_enclave_and_only_the_client_opens_the_end()
    {
        await _platform.DeployAsync("hello", "hello");
        await _platform.DeployAsync("wordcount", "wordcount");
        await _platform.DeployAsync("sha256", "sha256");
        await _platform.ChainAsync("pipeline", "hello", "wordcount", "sha256");
        using var keys = await _platform.ChainKeysAsync("pipeline");

        using var response = await _platform.Client().PostAsync("api/v1/namespaces/_/actions/pipeline?blocking=true&result=true",
            Sealed(keys, "one two three\nfour\n"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var sealedOutput = await response.Content.ReadAsByteArrayAsync();
        using var opened = EnvelopeOpener.Open(keys.Exit, sealedOutput);
        var expectedCount = WordCount("ONE TWO THREE\nFOUR\n");
        var expected = Convert.ToHexStringLower(SHA256.HashData(expectedCount));
        Assert.Contains(expected, Encoding.UTF8.GetString(opened.Payload.Span), StringComparison.Ordinal);

        // Three receipts, each signed by its step's attested enclave key, linking the sealed input to the sealed output.
        var receipts = response.Headers.GetValues("Carapace-Receipts").Single().Split(',').Select(Convert.FromBase64String).ToList();
        Assert.Equal(3, receipts.Count);
        var options = new VerificationOptions { SimulationQuotingKeys = [_platform.Quoting.PublicKey] };
        var verified = receipts.Select(r => ReceiptVerifier.Verify(r, options)).ToList();
        Assert.All(verified, v => Assert.True(v.Verified, v.Message));
        var check = ReceiptChain.Check([.. verified.Select(v => v.Receipt!)], RequestId, "pipeline", 3, SHA256.HashData(_sentEnvelope),
            SHA256.HashData(sealedOutput),
            [.. new[] { "hello", "wordcount", "sha256" }.Select(f => (ReadOnlyMemory<byte>)_platform.Measurements[f])]);
        Assert.True(check.Valid, check.Message);
    }

    [Fact]
    public async Task A_chain_created_after_its_steps_ran_uses_enclaves_attested_under_the_new_policy()
    {
        // hello's enclave is attested (and stays warm) before the chain exists, so it holds no key of the chain.
        await _platform.DeployAsync("hello", "hello");
        await _platform.DeployAsync("wordcount", "wordcount");
        using (var keys = await _platform.ChainKeysAsync("hello"))
        {
            using var warm = await _platform.Client().PostAsync("api/v1/namespaces/_/actions/hello?blocking=true&result=true", Sealed(keys, "warm"));
            Assert.Equal(HttpStatusCode.OK, warm.StatusCode);
        }

        await _platform.ChainAsync("later", "hello", "wordcount");
        using var chainKeys = await _platform.ChainKeysAsync("later");
        using var response = await _platform.Client().PostAsync("api/v1/namespaces/_/actions/later?blocking=true&result=true", Sealed(chainKeys, "a b c"));

        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        using var opened = EnvelopeOpener.Open(chainKeys.Exit, await response.Content.ReadAsByteArrayAsync());
        Assert.Equal("0 3 5\n", Encoding.UTF8.GetString(opened.Payload.Span));
    }

    [Fact]
    public async Task A_plaintext_action_takes_and_returns_json_like_openwhisk()
    {
        await _platform.DeployAsync("shout", "hello", confidential: false);

        using var response = await _platform.Client().PostAsync("api/v1/namespaces/_/actions/shout?blocking=true&result=true",
            JsonContent.Create(new { text = "quiet" }));

        // The function's stdout is a JSON object (the parameters, upper-cased): it is the result as it is.
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        using var json = JsonDocument.Parse(text);
        Assert.True(json.RootElement.TryGetProperty("TEXT", out _), text);
        Assert.Equal("QUIET", json.RootElement.GetProperty("TEXT").GetString());

        // Any other stdout is wrapped as {"output": text}.
        await _platform.DeployAsync("count", "wordcount", confidential: false);
        using var counted = await _platform.Client().PostAsync("api/v1/namespaces/_/actions/count?blocking=true&result=true",
            JsonContent.Create(new { text = "quiet" }));
        using var wrapped = JsonDocument.Parse(await counted.Content.ReadAsStringAsync());
        Assert.Equal("0 1 16\n", wrapped.RootElement.GetProperty("output").GetString());
    }

    [Fact]
    public async Task A_plaintext_sequence_passes_each_result_on_like_openwhisk()
    {
        await _platform.DeployAsync("shout", "hello", confidential: false);
        await _platform.DeployAsync("count", "wordcount", confidential: false);
        await _platform.ChainAsync("plain-pipe", confidential: false, "shout", "count");

        using var response = await _platform.Client().PostAsync("api/v1/namespaces/_/actions/plain-pipe?blocking=true",
            JsonContent.Create(new { text = "one two" }));

        // shout prints {"TEXT":"ONE TWO"} (18 bytes, two words split by the space); count counts that.
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("0 2 18\n", json.RootElement.GetProperty("response").GetProperty("result").GetProperty("output").GetString());
        Assert.Equal("sequence", json.RootElement.GetProperty("annotations").EnumerateArray()
            .Single(a => a.GetProperty("key").GetString() == "kind").GetProperty("value").GetString());
    }

    [Fact]
    public async Task The_gateway_tells_clients_where_the_kms_is_and_what_it_attests()
    {
        using var info = await _platform.Client().GetAsync("api/v1/carapace/info");

        Assert.Equal(HttpStatusCode.OK, info.StatusCode);
        using var json = JsonDocument.Parse(await info.Content.ReadAsStringAsync());
        Assert.Equal(PlatformFixture.Namespace, json.RootElement.GetProperty("namespace").GetString());
        Assert.True(json.RootElement.GetProperty("invocations").GetBoolean());
        var kms = json.RootElement.GetProperty("kms");
        Assert.Equal(_platform.Kms.Endpoint.AbsoluteUri, kms.GetProperty("url").GetString());
        Assert.Equal(Carapace.Kms.Client.KmsIdentity.MeasurementHex, kms.GetProperty("measurement").GetString());
        Assert.Equal(_platform.Kms.QuotingKey.ToArray(), Convert.FromBase64String(kms.GetProperty("quotingKey").GetString()!));
    }

    [Fact]
    public async Task A_non_blocking_invocation_returns_an_activation_id_whose_result_holds_the_envelope()
    {
        await _platform.DeployAsync("hello", "hello");
        using var keys = await _platform.ChainKeysAsync("hello");
        var client = _platform.Client();

        using var accepted = await client.PostAsync("api/v1/namespaces/_/actions/hello", Sealed(keys, "later"));
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        var id = (await accepted.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("activationId").GetString();

        JsonElement result = default;
        for (var attempt = 0; attempt < 300; attempt++)
        {
            using var poll = await client.GetAsync($"api/v1/namespaces/_/activations/{id}/result");
            if (poll.StatusCode == HttpStatusCode.OK)
            {
                result = await poll.Content.ReadFromJsonAsync<JsonElement>();
                break;
            }

            await Task.Delay(100);
        }

        Assert.Equal("success", result.GetProperty("status").GetString());
        using var opened = EnvelopeOpener.Open(keys.Exit, Convert.FromBase64String(result.GetProperty("result").GetProperty("envelope").GetString()!));
        Assert.Equal("LATER", Encoding.UTF8.GetString(opened.Payload.Span).Trim());
    }

    [Fact]
    public async Task A_replayed_request_is_refused_and_recorded_and_its_step_does_not_run_again()
    {
        await _platform.DeployAsync("hello", "hello");
        using var keys = await _platform.ChainKeysAsync("hello");
        var client = _platform.Client();
        var envelope = EnvelopeSealer.Seal(keys.Entry, "once"u8, new SealOptions { Function = "hello" });

        using var first = await client.PostAsync("api/v1/namespaces/_/actions/hello?blocking=true", Content(envelope));
        using var replay = await client.PostAsync("api/v1/namespaces/_/actions/hello?blocking=true", Content(envelope));

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, replay.StatusCode);
        using var json = JsonDocument.Parse(await replay.Content.ReadAsStringAsync());
        Assert.Equal("application error", json.RootElement.GetProperty("response").GetProperty("status").GetString());
        Assert.Contains("at most once per request id", json.RootElement.GetProperty("response").GetProperty("result").GetProperty("error").GetString(),
            StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bad_requests_get_openwhisk_errors()
    {
        await _platform.DeployAsync("hello", "hello");
        using var keys = await _platform.ChainKeysAsync("hello");
        var client = _platform.Client();

        using var missing = await client.PostAsync("api/v1/namespaces/_/actions/nope?blocking=true", Sealed(keys, "x"));
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);

        using var json = await client.PostAsync("api/v1/namespaces/_/actions/hello?blocking=true", JsonContent.Create(new { a = 1 }));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, json.StatusCode);
        Assert.Contains("envelope", (await json.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString(), StringComparison.Ordinal);

        using var garbage = await client.PostAsync("api/v1/namespaces/_/actions/hello?blocking=true", Content(new byte[100]));
        Assert.Equal(HttpStatusCode.BadRequest, garbage.StatusCode);

        await _platform.DeployAsync("other", "hello");
        using var otherKeys = await _platform.ChainKeysAsync("other");
        using var misaddressed = await client.PostAsync("api/v1/namespaces/_/actions/hello?blocking=true", Sealed(otherKeys, "x"));
        Assert.Equal(HttpStatusCode.BadRequest, misaddressed.StatusCode);
        Assert.Contains("chain 'hello'", (await misaddressed.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_function_timeout_is_a_developer_error_with_a_clear_message()
    {
        await _platform.DeployAsync("spin", "spin", timeoutMs: 500);
        using var keys = await _platform.ChainKeysAsync("spin");

        using var response = await _platform.Client().PostAsync("api/v1/namespaces/_/actions/spin?blocking=true", Sealed(keys, ""));

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var activation = json.RootElement.GetProperty("response");
        Assert.Equal("action developer error", activation.GetProperty("status").GetString());
        Assert.False(activation.GetProperty("success").GetBoolean());
        Assert.Contains("The action exceeded its time limits of 500 milliseconds.", activation.GetProperty("result").GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    private RequestId RequestId { get; set; }

    private byte[] _sentEnvelope = [];

    private ByteArrayContent Sealed(ChainKeySet keys, string text)
    {
        RequestId = RequestId.New();
        _sentEnvelope = EnvelopeSealer.Seal(keys.Entry, Encoding.UTF8.GetBytes(text), new SealOptions { Function = keys.Chain, RequestId = RequestId });
        return Content(_sentEnvelope);
    }

    private static ByteArrayContent Content(byte[] envelope)
    {
        var content = new ByteArrayContent(envelope);
        content.Headers.ContentType = new MediaTypeHeaderValue(EnvelopeType);
        return content;
    }

    /// <summary>What the wordcount example prints for plain ASCII text: "LINES WORDS BYTES\n".</summary>
    private static byte[] WordCount(string text)
    {
        var lines = text.Count(c => c == '\n');
        var words = text.Split([' ', '\n', '\t'], StringSplitOptions.RemoveEmptyEntries).Length;
        return Encoding.UTF8.GetBytes($"{lines} {words} {Encoding.UTF8.GetByteCount(text)}\n");
    }
}
