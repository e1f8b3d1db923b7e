using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Carapace.Envelope;
using Carapace.Envelope.Format;
using Carapace.Envelope.Sealing;

namespace Carapace.Platform.Tests;

/// <summary>
/// Firing triggers through the real platform, as OpenWhisk's controller does it: one trigger activation whose result is
/// the payload and whose logs hold one JSON line per rule, the rules' actions invoked non-blocking with the trigger's
/// parameters under the payload's fields; and confidential targets, which take only a payload already sealed for them.
/// </summary>
public sealed class TriggerFiringTests : IAsyncLifetime
{
    private PlatformFixture _platform = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        _platform = await PlatformFixture.StartAsync();
        _client = _platform.Client();
    }

    public async Task DisposeAsync() => await _platform.DisposeAsync();

    [Fact]
    public async Task Firing_invokes_each_active_rules_action_with_the_payload_over_the_triggers_parameters_and_logs_every_rule()
    {
        await PlatformEntities.DeployEchoAsync(_client, "echo", new JsonObject { ["d"] = "action's default", ["both"] = "action's" });
        await PlatformEntities.DeployEchoAsync(_client, "other");
        await PutOkAsync("triggers/tick", new JsonObject { ["parameters"] = PlatformEntities.KeyValues(new JsonObject { ["t"] = "trigger's", ["both"] = "trigger's" }) });
        await PutOkAsync("rules/a", Rule("tick", "echo"));
        await PutOkAsync("rules/b", Rule("tick", "other"));
        await PutOkAsync("rules/c", Rule("tick", "echo"));
        await PostOkAsync("rules/c", new JsonObject { ["status"] = "inactive" });

        using var fired = await _client.PostAsync("api/v1/namespaces/_/triggers/tick", JsonContent.Create(new JsonObject { ["both"] = "payload's", ["p"] = 1 }));

        Assert.Equal(HttpStatusCode.Accepted, fired.StatusCode);
        var triggerId = (await JsonAsync(fired)).GetProperty("activationId").GetString()!;
        Assert.Equal(triggerId, fired.Headers.GetValues("x-openwhisk-activation-id").Single());
        var trigger = await GetAsync($"activations/{triggerId}");
        Assert.Equal("tick", trigger.GetProperty("name").GetString());
        Assert.Equal("guest", trigger.GetProperty("namespace").GetString());
        var response = trigger.GetProperty("response");
        Assert.True(response.GetProperty("success").GetBoolean());
        // The result is the payload as fired, without the trigger's parameters (as OpenWhisk's).
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"both":"payload's","p":1}"""), JsonNode.Parse(response.GetProperty("result").GetRawText())),
            response.GetProperty("result").GetRawText());

        var logs = trigger.GetProperty("logs").EnumerateArray().Select(l => JsonDocument.Parse(l.GetString()!).RootElement).ToList();
        Assert.Equal(["guest/a", "guest/b", "guest/c"], logs.Select(l => l.GetProperty("rule").GetString()));
        Assert.Equal(["guest/echo", "guest/other", "guest/echo"], logs.Select(l => l.GetProperty("action").GetString()));
        Assert.Equal([0, 0, 1], logs.Select(l => l.GetProperty("statusCode").GetInt32()));
        Assert.Equal([true, true, false], logs.Select(l => l.GetProperty("success").GetBoolean()));
        Assert.Equal("Rule 'guest/c' is inactive, action 'guest/echo' was not activated.", logs[2].GetProperty("error").GetString());
        Assert.False(logs[2].TryGetProperty("activationId", out _));

        var echo = await ResultAsync(logs[0].GetProperty("activationId").GetString()!);
        Assert.Equal("success", echo.GetProperty("status").GetString());
        var parameters = echo.GetProperty("result");
        Assert.Equal("payload's", parameters.GetProperty("both").GetString());
        Assert.Equal("trigger's", parameters.GetProperty("t").GetString());
        Assert.Equal("action's default", parameters.GetProperty("d").GetString());
        Assert.Equal(1, parameters.GetProperty("p").GetInt32());
        var other = await ResultAsync(logs[1].GetProperty("activationId").GetString()!);
        Assert.Equal("payload's", other.GetProperty("result").GetProperty("both").GetString());
        Assert.Equal("trigger's", other.GetProperty("result").GetProperty("t").GetString());
        Assert.False(other.GetProperty("result").TryGetProperty("d", out _));

        // The caused activations are the firing subject's, of the rules' actions.
        var caused = await GetAsync($"activations/{logs[0].GetProperty("activationId").GetString()}");
        Assert.Equal("echo", caused.GetProperty("name").GetString());
    }

    [Fact]
    public async Task A_rule_may_target_a_sequence_and_a_rule_whose_action_is_gone_is_logged_as_failed()
    {
        await PlatformEntities.DeployEchoAsync(_client, "first", new JsonObject { ["step"] = "first" });
        await PlatformEntities.DeployEchoAsync(_client, "second");
        await _platform.ChainAsync("both", confidential: false, "first", "second");
        await PlatformEntities.DeployEchoAsync(_client, "doomed");
        await PutOkAsync("triggers/tick", new JsonObject());
        await PutOkAsync("rules/seq", Rule("tick", "both"));
        await PutOkAsync("rules/gone", Rule("tick", "doomed"));
        (await _client.DeleteAsync("api/v1/namespaces/_/actions/doomed")).Dispose();

        using var fired = await _client.PostAsync("api/v1/namespaces/_/triggers/tick", JsonContent.Create(new JsonObject { ["x"] = "y" }));
        Assert.Equal(HttpStatusCode.Accepted, fired.StatusCode);
        var trigger = await GetAsync($"activations/{(await JsonAsync(fired)).GetProperty("activationId").GetString()}");
        var logs = trigger.GetProperty("logs").EnumerateArray().Select(l => JsonDocument.Parse(l.GetString()!).RootElement).ToList();

        var gone = logs.Single(l => l.GetProperty("rule").GetString() == "guest/gone");
        Assert.Equal(1, gone.GetProperty("statusCode").GetInt32());
        Assert.Equal("The requested resource does not exist.", gone.GetProperty("error").GetString());
        var sequence = logs.Single(l => l.GetProperty("rule").GetString() == "guest/seq");
        Assert.Equal(0, sequence.GetProperty("statusCode").GetInt32());
        var result = await ResultAsync(sequence.GetProperty("activationId").GetString()!);
        Assert.Equal("y", result.GetProperty("result").GetProperty("x").GetString());
        Assert.Equal("first", result.GetProperty("result").GetProperty("step").GetString());
    }

    [Fact]
    public async Task A_confidential_target_takes_only_a_payload_already_sealed_for_it()
    {
        await _platform.DeployAsync("hello", "hello");
        await PlatformEntities.DeployEchoAsync(_client, "plain");
        await PutOkAsync("triggers/tick", new JsonObject());
        await PutOkAsync("rules/secret", Rule("tick", "hello"));
        await PutOkAsync("rules/open", Rule("tick", "plain"));

        // A JSON payload: the plaintext action runs, the confidential one is refused, saying why.
        using var json = await _client.PostAsync("api/v1/namespaces/_/triggers/tick", JsonContent.Create(new JsonObject { ["text"] = "hi" }));
        Assert.Equal(HttpStatusCode.Accepted, json.StatusCode);
        var logs = await LogsAsync(json);
        var refused = logs.Single(l => l.GetProperty("rule").GetString() == "guest/secret");
        Assert.Equal(1, refused.GetProperty("statusCode").GetInt32());
        Assert.Contains("is confidential: it takes only a payload sealed for it", refused.GetProperty("error").GetString());
        Assert.Equal(0, logs.Single(l => l.GetProperty("rule").GetString() == "guest/open").GetProperty("statusCode").GetInt32());

        // An envelope sealed for the action's chain: the confidential action gets it as it is, the plaintext one is refused.
        using var keys = await _platform.ChainKeysAsync("hello");
        var envelope = EnvelopeSealer.Seal(keys.Entry, "fired"u8, new SealOptions { Function = "hello", RequestId = RequestId.New() });
        using var content = new ByteArrayContent(envelope);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/vnd.carapace.envelope");
        using var sealedFire = await _client.PostAsync("api/v1/namespaces/_/triggers/tick", content);
        Assert.Equal(HttpStatusCode.Accepted, sealedFire.StatusCode);
        var triggerId = (await JsonAsync(sealedFire)).GetProperty("activationId").GetString()!;
        var trigger = await GetAsync($"activations/{triggerId}");
        var sealedResult = trigger.GetProperty("response").GetProperty("result");
        // The trigger activation holds the sealed payload's size and digest only.
        Assert.Equal(["sealedPayload"], sealedResult.EnumerateObject().Select(p => p.Name));
        Assert.Equal(envelope.Length, sealedResult.GetProperty("sealedPayload").GetProperty("size").GetInt32());
        Assert.DoesNotContain(Convert.ToBase64String(envelope), trigger.GetRawText());

        var sealedLogs = trigger.GetProperty("logs").EnumerateArray().Select(l => JsonDocument.Parse(l.GetString()!).RootElement).ToList();
        var plain = sealedLogs.Single(l => l.GetProperty("rule").GetString() == "guest/open");
        Assert.Equal(1, plain.GetProperty("statusCode").GetInt32());
        Assert.Contains("is not confidential and takes JSON parameters", plain.GetProperty("error").GetString());
        var secret = sealedLogs.Single(l => l.GetProperty("rule").GetString() == "guest/secret");
        Assert.Equal(0, secret.GetProperty("statusCode").GetInt32());
        var result = await ResultAsync(secret.GetProperty("activationId").GetString()!);
        Assert.Equal("success", result.GetProperty("status").GetString());
        using var opened = EnvelopeOpener.Open(keys.Exit, Convert.FromBase64String(result.GetProperty("result").GetProperty("envelope").GetString()!));
        Assert.Equal("FIRED", Encoding.UTF8.GetString(opened.Payload.Span).Trim());

        // The same envelope again is a replay: recorded in the trigger's logs, nothing runs twice.
        using var again = new ByteArrayContent(envelope);
        again.Headers.ContentType = new MediaTypeHeaderValue("application/vnd.carapace.envelope");
        using var replay = await _client.PostAsync("api/v1/namespaces/_/triggers/tick", again);
        var replayed = (await LogsAsync(replay)).Single(l => l.GetProperty("rule").GetString() == "guest/secret");
        var replayResult = await ResultAsync(replayed.GetProperty("activationId").GetString()!);
        Assert.NotEqual("success", replayResult.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Actions_in_packages_and_bindings_run_with_package_under_binding_under_action_under_invocation_parameters()
    {
        await PutOkAsync("packages/tools", new JsonObject
        {
            ["parameters"] = PlatformEntities.KeyValues(new JsonObject { ["a"] = "package", ["b"] = "package", ["c"] = "package", ["d"] = "package" }),
        });
        await PlatformEntities.DeployEchoAsync(_client, "tools/echo", new JsonObject { ["c"] = "action", ["d"] = "action" });
        await PutOkAsync("packages/mine", new JsonObject
        {
            ["binding"] = new JsonObject { ["namespace"] = "_", ["name"] = "tools" },
            ["parameters"] = PlatformEntities.KeyValues(new JsonObject { ["b"] = "binding", ["c"] = "binding" }),
        });

        using var direct = await _client.PostAsync("api/v1/namespaces/_/actions/tools/echo?blocking=true&result=true",
            JsonContent.Create(new JsonObject { ["d"] = "invocation" }));
        Assert.Equal(HttpStatusCode.OK, direct.StatusCode);
        var result = await JsonAsync(direct);
        Assert.Equal(["package", "package", "action", "invocation"], new[] { "a", "b", "c", "d" }.Select(k => result.GetProperty(k).GetString()));

        using var bound = await _client.PostAsync("api/v1/namespaces/_/actions/mine/echo?blocking=true",
            JsonContent.Create(new JsonObject { ["d"] = "invocation" }));
        Assert.Equal(HttpStatusCode.OK, bound.StatusCode);
        var activation = await JsonAsync(bound);
        var boundResult = activation.GetProperty("response").GetProperty("result");
        Assert.Equal(["package", "binding", "action", "invocation"], new[] { "a", "b", "c", "d" }.Select(k => boundResult.GetProperty(k).GetString()));
        Assert.Equal("echo", activation.GetProperty("name").GetString());
        var path = activation.GetProperty("annotations").EnumerateArray().Single(a => a.GetProperty("key").GetString() == "path");
        Assert.Equal("guest/mine/echo", path.GetProperty("value").GetString());

        // A rule may target an action reached through a binding, and a sequence may hold packaged actions.
        await PutOkAsync("triggers/tick", new JsonObject());
        await PutOkAsync("rules/r", Rule("tick", "mine/echo"));
        using var fired = await _client.PostAsync("api/v1/namespaces/_/triggers/tick", JsonContent.Create(new JsonObject { ["a"] = "payload" }));
        var log = (await LogsAsync(fired)).Single();
        Assert.Equal("guest/mine/echo", log.GetProperty("action").GetString());
        var firedResult = (await ResultAsync(log.GetProperty("activationId").GetString()!)).GetProperty("result");
        Assert.Equal(["payload", "binding", "action", "action"], new[] { "a", "b", "c", "d" }.Select(k => firedResult.GetProperty(k).GetString()));

        using var sequence = await _client.PutAsync("api/v1/namespaces/_/actions/chain", JsonContent.Create(new JsonObject
        {
            ["exec"] = new JsonObject { ["kind"] = "sequence", ["components"] = new JsonArray("/_/tools/echo", "/_/mine/echo") },
        }));
        Assert.Equal(HttpStatusCode.OK, sequence.StatusCode);
        using var chained = await _client.PostAsync("api/v1/namespaces/_/actions/chain?blocking=true&result=true", JsonContent.Create(new JsonObject()));
        Assert.Equal(HttpStatusCode.OK, chained.StatusCode);
        Assert.Equal("action", (await JsonAsync(chained)).GetProperty("c").GetString());
    }

    private async Task PutOkAsync(string path, JsonObject body)
    {
        using var response = await _client.PutAsync($"api/v1/namespaces/_/{path}", JsonContent.Create(body));
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    private async Task PostOkAsync(string path, JsonObject body)
    {
        using var response = await _client.PostAsync($"api/v1/namespaces/_/{path}", JsonContent.Create(body));
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    private static JsonObject Rule(string trigger, string action) => new() { ["trigger"] = trigger, ["action"] = action };

    private async Task<JsonElement> GetAsync(string path) => JsonDocument.Parse(await _client.GetStringAsync($"api/v1/namespaces/_/{path}")).RootElement.Clone();

    private async Task<List<JsonElement>> LogsAsync(HttpResponseMessage fired)
    {
        Assert.Equal(HttpStatusCode.Accepted, fired.StatusCode);
        var trigger = await GetAsync($"activations/{(await JsonAsync(fired)).GetProperty("activationId").GetString()}");
        return [.. trigger.GetProperty("logs").EnumerateArray().Select(l => JsonDocument.Parse(l.GetString()!).RootElement.Clone())];
    }

    /// <summary>The <c>response</c> of a non-blocking activation, once it has one (polled at most 60 s).</summary>
    private async Task<JsonElement> ResultAsync(string activationId)
    {
        for (var attempt = 0; attempt < 600; attempt++)
        {
            using var poll = await _client.GetAsync($"api/v1/namespaces/_/activations/{activationId}/result");
            if (poll.StatusCode == HttpStatusCode.OK)
            {
                return await JsonAsync(poll);
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"activation {activationId} had no result within 60 s");
    }

    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
}
