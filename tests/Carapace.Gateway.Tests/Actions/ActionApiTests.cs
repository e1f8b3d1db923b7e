using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Carapace.Gateway.Tests.Support;

namespace Carapace.Gateway.Tests.Actions;

public sealed class ActionApiTests : IAsyncLifetime
{
    private const string Actions = "api/v1/namespaces/_/actions/";
    private GatewayFixture _gateway = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        _gateway = await GatewayFixture.StartAsync();
        _client = _gateway.AliceClient();
    }

    public async Task DisposeAsync() => await _gateway.DisposeAsync();

    [Fact]
    public async Task Put_creates_an_action_in_OpenWhisk_shape_with_exec_and_confidential_annotations()
    {
        using var response = await _client.PutAsync(Actions + "hello", Bodies.Wasm(
            limits: new JsonObject { ["memory"] = 128, ["timeout"] = 5000 },
            annotations: [new JsonObject { ["key"] = "description", ["value"] = "greets" }],
            parameters: [new JsonObject { ["key"] = "greeting", ["value"] = "hi" }]));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var action = await GatewayFixture.JsonAsync(response);

        // OpenWhisk's documented action document (docs/rest_api.md, "Actions"): field names and JSON types.
        AssertShape(action, new()
        {
            ["namespace"] = JsonValueKind.String,
            ["name"] = JsonValueKind.String,
            ["version"] = JsonValueKind.String,
            ["exec"] = JsonValueKind.Object,
            ["annotations"] = JsonValueKind.Array,
            ["parameters"] = JsonValueKind.Array,
            ["limits"] = JsonValueKind.Object,
            ["publish"] = JsonValueKind.False,
            ["updated"] = JsonValueKind.Number,
        });
        AssertShape(action.GetProperty("limits"), new()
        {
            ["timeout"] = JsonValueKind.Number,
            ["memory"] = JsonValueKind.Number,
            ["logs"] = JsonValueKind.Number,
            ["concurrency"] = JsonValueKind.Number,
        });
        Assert.Equal("alice", action.GetProperty("namespace").GetString());
        Assert.Equal("hello", action.GetProperty("name").GetString());
        Assert.Equal("0.0.1", action.GetProperty("version").GetString());
        Assert.Equal(128, action.GetProperty("limits").GetProperty("memory").GetInt32());
        Assert.Equal(5000, action.GetProperty("limits").GetProperty("timeout").GetInt32());
        Assert.Equal("wasm:wasi", action.GetProperty("exec").GetProperty("kind").GetString());
        Assert.Equal(Bodies.Module, action.GetProperty("exec").GetProperty("code").GetBytesFromBase64());
        Assert.True(action.GetProperty("exec").GetProperty("binary").GetBoolean());
        Assert.Equal(_gateway.Time.GetUtcNow().ToUnixTimeMilliseconds(), action.GetProperty("updated").GetInt64());

        var annotations = KeyValues(action.GetProperty("annotations"));
        Assert.Equal("greets", annotations["description"].GetString());
        Assert.Equal("wasm:wasi", annotations["exec"].GetString());
        Assert.True(annotations["confidential"].GetBoolean());
        Assert.Equal("hi", KeyValues(action.GetProperty("parameters"))["greeting"].GetString());
    }

    [Fact]
    public async Task A_confidential_false_annotation_makes_a_plaintext_action()
    {
        using var response = await _client.PutAsync(Actions + "plain", Bodies.Wasm(
            annotations: [new JsonObject { ["key"] = "confidential", ["value"] = false }]));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False(KeyValues((await GatewayFixture.JsonAsync(response)).GetProperty("annotations"))["confidential"].GetBoolean());
        Assert.False(_gateway.Host.Registry.Get(Carapace.Controller.Registry.ActionName.Of("alice", "plain"))!.Confidential);
    }

    [Fact]
    public async Task Get_returns_the_action_and_code_false_drops_the_code()
    {
        (await _client.PutAsync(Actions + "hello", Bodies.Wasm())).Dispose();
        using var full = await _client.GetAsync(Actions + "hello");
        Assert.Equal(Bodies.Module, (await GatewayFixture.JsonAsync(full)).GetProperty("exec").GetProperty("code").GetBytesFromBase64());
        using var noCode = await _client.GetAsync(Actions + "hello?code=false");
        var exec = (await GatewayFixture.JsonAsync(noCode)).GetProperty("exec");
        Assert.False(exec.TryGetProperty("code", out _));
        Assert.Equal("wasm:wasi", exec.GetProperty("kind").GetString());
        using var missing = await _client.GetAsync(Actions + "nothing");
        await GatewayFixture.AssertErrorAsync(missing, HttpStatusCode.NotFound);
        using var badFlag = await _client.GetAsync(Actions + "hello?code=maybe");
        await GatewayFixture.AssertErrorAsync(badFlag, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Put_of_an_existing_action_conflicts_without_overwrite_and_bumps_the_version_with_it()
    {
        (await _client.PutAsync(Actions + "hello", Bodies.Wasm())).Dispose();
        using var conflict = await _client.PutAsync(Actions + "hello", Bodies.Wasm());
        await GatewayFixture.AssertErrorAsync(conflict, HttpStatusCode.Conflict);

        _gateway.Time.Advance(TimeSpan.FromSeconds(5));
        using var update = await _client.PutAsync(Actions + "hello?overwrite=true",
            Bodies.Raw(new JsonObject { ["limits"] = new JsonObject { ["memory"] = 512 } }));
        Assert.Equal(HttpStatusCode.OK, update.StatusCode);
        var action = await GatewayFixture.JsonAsync(update);
        Assert.Equal("0.0.2", action.GetProperty("version").GetString());
        Assert.Equal(512, action.GetProperty("limits").GetProperty("memory").GetInt32());
        Assert.Equal(60_000, action.GetProperty("limits").GetProperty("timeout").GetInt32());
        Assert.Equal(Bodies.Module, action.GetProperty("exec").GetProperty("code").GetBytesFromBase64());
        Assert.Equal(_gateway.Time.GetUtcNow().ToUnixTimeMilliseconds(), action.GetProperty("updated").GetInt64());
    }

    [Fact]
    public async Task List_pages_with_skip_and_limit_and_leaves_code_out()
    {
        foreach (var name in new[] { "a", "b", "c" })
        {
            (await _client.PutAsync(Actions + name, Bodies.Wasm())).Dispose();
            _gateway.Time.Advance(TimeSpan.FromSeconds(1));
        }

        using var all = await _client.GetAsync("api/v1/namespaces/_/actions");
        var list = (await GatewayFixture.JsonAsync(all)).EnumerateArray().ToList();
        Assert.Equal(["c", "b", "a"], list.Select(a => a.GetProperty("name").GetString()));
        Assert.All(list, a => Assert.False(a.GetProperty("exec").TryGetProperty("code", out _)));

        using var page = await _client.GetAsync("api/v1/namespaces/_/actions?skip=1&limit=1");
        Assert.Equal(["b"], (await GatewayFixture.JsonAsync(page)).EnumerateArray().Select(a => a.GetProperty("name").GetString()));
        using var bad = await _client.GetAsync("api/v1/namespaces/_/actions?limit=201");
        await GatewayFixture.AssertErrorAsync(bad, HttpStatusCode.BadRequest);
        using var notNumber = await _client.GetAsync("api/v1/namespaces/_/actions?skip=x");
        await GatewayFixture.AssertErrorAsync(notNumber, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Delete_returns_the_deleted_action_and_then_it_is_gone()
    {
        (await _client.PutAsync(Actions + "hello", Bodies.Wasm())).Dispose();
        using var deleted = await _client.DeleteAsync(Actions + "hello");
        Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
        var action = await GatewayFixture.JsonAsync(deleted);
        Assert.Equal("hello", action.GetProperty("name").GetString());
        Assert.Equal(Bodies.Module, action.GetProperty("exec").GetProperty("code").GetBytesFromBase64());
        using var again = await _client.DeleteAsync(Actions + "hello");
        await GatewayFixture.AssertErrorAsync(again, HttpStatusCode.NotFound);
        using var get = await _client.GetAsync(Actions + "hello");
        await GatewayFixture.AssertErrorAsync(get, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Sequences_name_existing_components_and_may_not_form_cycles()
    {
        (await _client.PutAsync(Actions + "a", Bodies.Wasm())).Dispose();
        using var sequence = await _client.PutAsync(Actions + "s1", Bodies.Sequence("/_/a", "/alice/a"));
        Assert.Equal(HttpStatusCode.OK, sequence.StatusCode);
        var exec = (await GatewayFixture.JsonAsync(sequence)).GetProperty("exec");
        Assert.Equal("sequence", exec.GetProperty("kind").GetString());
        Assert.Equal(["/alice/a", "/alice/a"], exec.GetProperty("components").EnumerateArray().Select(c => c.GetString()));

        using var unknown = await _client.PutAsync(Actions + "s2", Bodies.Sequence("/alice/missing"));
        Assert.Contains("does not exist", await GatewayFixture.AssertErrorAsync(unknown, HttpStatusCode.BadRequest), StringComparison.Ordinal);

        (await _client.PutAsync(Actions + "s3", Bodies.Sequence("/alice/s1"))).Dispose();
        using var cycle = await _client.PutAsync(Actions + "s1?overwrite=true", Bodies.Sequence("/alice/s3"));
        Assert.Contains("contain itself", await GatewayFixture.AssertErrorAsync(cycle, HttpStatusCode.BadRequest), StringComparison.Ordinal);
        using var self = await _client.PutAsync(Actions + "s4", Bodies.Sequence("/alice/s4"));
        await GatewayFixture.AssertErrorAsync(self, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task A_sequence_cannot_use_another_namespaces_unpublished_action()
    {
        (await _gateway.Client(_gateway.Bob.Auth).PutAsync(Actions + "private", Bodies.Wasm())).Dispose();
        using var response = await _client.PutAsync(Actions + "steal", Bodies.Sequence("/bob/private"));
        await GatewayFixture.AssertErrorAsync(response, HttpStatusCode.BadRequest);
        Assert.Null(_gateway.Host.Registry.Get(Carapace.Controller.Registry.ActionName.Of("alice", "steal")));
    }

    [Theory]
    [InlineData("""{"exec":{"kind":"wasm:wasi","code":"AGFzbQEAAAA="},"limits":{"memory":64}}""", "'limits.memory' 64 MB")]
    [InlineData("""{"exec":{"kind":"wasm:wasi","code":"AGFzbQEAAAA="},"limits":{"timeout":10}}""", "'limits.timeout' 10 ms")]
    [InlineData("""{"exec":{"kind":"wasm:wasi","code":"AGFzbQEAAAA="},"limits":{"memory":"big"}}""", "must be an integer")]
    [InlineData("""{"exec":{"kind":"wasm:wasi","code":"AGFzbQEAAAA="},"limits":{"concurrency":4}}""", "concurrency")]
    [InlineData("""{"exec":{"kind":"python:3","code":"x"}}""", "not a kind this build supports")]
    [InlineData("""{"exec":{"kind":"nodejs:20","code":"UEsDBBQAAAAIAA==","binary":true}}""", "'exec.binary' is true")]
    [InlineData("""{"exec":{"kind":"nodejs:default","code":"UEsDBBQAAAAIAA=="}}""", "base64 of a zip archive")]
    [InlineData("""{"exec":{"kind":"nodejs:default","code":"function main() {}","main":"no-such name"}}""", "'exec.main'")]
    [InlineData("""{"exec":{"kind":"nodejs:default","code":""}}""", "'exec.code' is empty")]
    [InlineData("""{"exec":{"kind":"wasm:wasi","code":"***"}}""", "base64")]
    [InlineData("""{"exec":{"kind":"wasm:wasi","code":""}}""", "empty")]
    [InlineData("""{"exec":{"kind":"wasm:wasi","code":"AGFzbQEAAAA="},"annotations":[{"key":"confidential","value":"no"}]}""", "true or false")]
    [InlineData("""{"exec":{"kind":"wasm:wasi","code":"AGFzbQEAAAA="},"parameters":{"a":1}}""", "'parameters' must be an array")]
    [InlineData("""{"limits":{"memory":256}}""", "'exec' is required")]
    [InlineData("""[1,2]""", "JSON object")]
    [InlineData("""{"exec":""", "malformed")]
    public async Task Invalid_definitions_get_400_with_the_reason(string body, string reason)
    {
        using var response = await _client.PutAsync(Actions + "bad", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
        Assert.Contains(reason, await GatewayFixture.AssertErrorAsync(response, HttpStatusCode.BadRequest), StringComparison.Ordinal);
    }

    [Fact]
    public async Task All_problems_of_a_definition_are_reported_at_once()
    {
        using var response = await _client.PutAsync(Actions + "bad", new StringContent(
            """{"exec":{"kind":"wasm:wasi","code":"AGFzbQEAAAA="},"limits":{"memory":1,"timeout":1},"publish":"yes"}"""));
        var error = await GatewayFixture.AssertErrorAsync(response, HttpStatusCode.BadRequest);
        Assert.Contains("'limits.memory' 1 MB", error, StringComparison.Ordinal);
        Assert.Contains("'limits.timeout' 1 ms", error, StringComparison.Ordinal);
        Assert.Contains("'publish'", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_invalid_action_name_gets_400()
    {
        using var response = await _client.PutAsync(Actions + "-bad", Bodies.Wasm());
        await GatewayFixture.AssertErrorAsync(response, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task A_namespace_with_credentials_but_no_registry_entry_gets_404_on_put()
    {
        var orphan = _gateway.Credentials.CreateNamespace("orphan");
        using var response = await _gateway.Client(orphan.Auth).PutAsync(Actions + "hello", Bodies.Wasm());
        await GatewayFixture.AssertErrorAsync(response, HttpStatusCode.NotFound);
    }

    private static Dictionary<string, JsonElement> KeyValues(JsonElement array) =>
        array.EnumerateArray().ToDictionary(e => e.GetProperty("key").GetString()!, e => e.GetProperty("value"));

    private static void AssertShape(JsonElement json, Dictionary<string, JsonValueKind> expected)
    {
        foreach (var (name, kind) in expected)
        {
            Assert.True(json.TryGetProperty(name, out var value), $"missing field '{name}'");
            Assert.True(value.ValueKind == kind || (kind == JsonValueKind.False && value.ValueKind == JsonValueKind.True),
                $"field '{name}' is {value.ValueKind}, expected {kind}");
        }
    }
}
