using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Carapace.Gateway.Tests.Packages;
using Carapace.Gateway.Tests.Support;

namespace Carapace.Gateway.Tests.Triggers;

/// <summary>
/// OpenWhisk's triggers and rules over a real gateway (without a controller to run actions): CRUD, rule status,
/// what firing answers when no rule is active, feeds refused with 501, bad input, bounds and namespace isolation.
/// </summary>
public sealed class TriggerApiTests : IAsyncLifetime
{
    private GatewayFixture _gateway = null!;
    private HttpClient _alice = null!;

    public async Task InitializeAsync()
    {
        _gateway = await GatewayFixture.StartAsync();
        _alice = _gateway.AliceClient();
        await PutOkAsync("api/v1/namespaces/_/actions/hello", Bodies.Wasm());
    }

    public async Task DisposeAsync() => await _gateway.DisposeAsync();

    [Fact]
    public async Task A_trigger_is_created_got_listed_updated_and_deleted_in_openwhisks_shape()
    {
        using var created = await _alice.PutAsync("api/v1/namespaces/_/triggers/tick",
            JsonContent.Create(new JsonObject { ["parameters"] = PackageApiTests.KeyValues(new JsonObject { ["every"] = "minute" }) }));
        Assert.Equal(HttpStatusCode.OK, created.StatusCode);
        var json = await GatewayFixture.JsonAsync(created);
        Assert.Equal(["annotations", "limits", "name", "namespace", "parameters", "publish", "updated", "version"],
            json.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        Assert.Equal("alice", json.GetProperty("namespace").GetString());
        Assert.Equal("{}", json.GetProperty("limits").GetRawText());
        Assert.Equal("""[{"key":"every","value":"minute"}]""", json.GetProperty("parameters").GetRawText());

        using var again = await _alice.PutAsync("api/v1/namespaces/_/triggers/tick", JsonContent.Create(new JsonObject()));
        await GatewayFixture.AssertErrorAsync(again, HttpStatusCode.Conflict);
        using var updated = await _alice.PutAsync("api/v1/namespaces/_/triggers/tick?overwrite=true", JsonContent.Create(new JsonObject { ["publish"] = true }));
        var after = await GatewayFixture.JsonAsync(updated);
        Assert.Equal("0.0.2", after.GetProperty("version").GetString());
        Assert.Equal("""[{"key":"every","value":"minute"}]""", after.GetProperty("parameters").GetRawText());

        using var list = await _alice.GetAsync("api/v1/namespaces/_/triggers");
        Assert.Equal(["tick"], (await GatewayFixture.JsonAsync(list)).EnumerateArray().Select(t => t.GetProperty("name").GetString()));
        using var count = await _alice.GetAsync("api/v1/namespaces/_/triggers?count=true");
        Assert.Equal("""{"triggers":1}""", (await GatewayFixture.JsonAsync(count)).GetRawText());

        using var deleted = await _alice.DeleteAsync("api/v1/namespaces/_/triggers/tick");
        Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
        using var gone = await _alice.GetAsync("api/v1/namespaces/_/triggers/tick");
        await GatewayFixture.AssertErrorAsync(gone, HttpStatusCode.NotFound);
        using var fireGone = await _alice.PostAsync("api/v1/namespaces/_/triggers/tick", JsonContent.Create(new JsonObject()));
        await GatewayFixture.AssertErrorAsync(fireGone, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_rule_links_a_trigger_to_an_action_is_active_when_created_and_is_enabled_and_disabled()
    {
        await PutOkAsync("api/v1/namespaces/_/triggers/tick", JsonContent.Create(new JsonObject()));
        using var created = await _alice.PutAsync("api/v1/namespaces/_/rules/r", Rule("/_/tick", "/_/hello"));
        Assert.Equal(HttpStatusCode.OK, created.StatusCode);
        var rule = await GatewayFixture.JsonAsync(created);
        Assert.Equal("active", rule.GetProperty("status").GetString());
        Assert.Equal("""{"path":"alice","name":"tick"}""", rule.GetProperty("trigger").GetRawText());
        Assert.Equal("""{"path":"alice","name":"hello"}""", rule.GetProperty("action").GetRawText());

        using var trigger = await _alice.GetAsync("api/v1/namespaces/_/triggers/tick");
        Assert.Equal("""{"alice/r":{"action":{"path":"alice","name":"hello"},"status":"active"}}""",
            (await GatewayFixture.JsonAsync(trigger)).GetProperty("rules").GetRawText());

        using var disabled = await _alice.PostAsync("api/v1/namespaces/_/rules/r", Status("inactive"));
        Assert.Equal(HttpStatusCode.OK, disabled.StatusCode);
        Assert.Equal("inactive", (await GatewayFixture.JsonAsync(disabled)).GetProperty("status").GetString());
        using var same = await _alice.PostAsync("api/v1/namespaces/_/rules/r", Status("inactive"));
        Assert.Equal(HttpStatusCode.OK, same.StatusCode);

        // As OpenWhisk: no active rule, so firing records nothing.
        using var fired = await _alice.PostAsync("api/v1/namespaces/_/triggers/tick", JsonContent.Create(new JsonObject { ["x"] = 1 }));
        Assert.Equal(HttpStatusCode.NoContent, fired.StatusCode);
        Assert.Empty(_gateway.Host.Activations.List("alice", null, Controller.PageRequest.Default));

        using var enabled = await _alice.PostAsync("api/v1/namespaces/_/rules/r", Status("active"));
        Assert.Equal("active", (await GatewayFixture.JsonAsync(enabled)).GetProperty("status").GetString());
        // An active rule, but this gateway has no controller to run the action.
        using var noController = await _alice.PostAsync("api/v1/namespaces/_/triggers/tick", JsonContent.Create(new JsonObject()));
        Assert.Contains("no controller", await GatewayFixture.AssertErrorAsync(noController, HttpStatusCode.ServiceUnavailable));

        // An update keeps the status and may point the rule elsewhere.
        await PutOkAsync("api/v1/namespaces/_/actions/other", Bodies.Wasm());
        using var updated = await _alice.PutAsync("api/v1/namespaces/_/rules/r?overwrite=true", JsonContent.Create(new JsonObject { ["action"] = "other" }));
        var after = await GatewayFixture.JsonAsync(updated);
        Assert.Equal("active", after.GetProperty("status").GetString());
        Assert.Equal("other", after.GetProperty("action").GetProperty("name").GetString());

        using var list = await _alice.GetAsync("api/v1/namespaces/_/rules");
        Assert.Single((await GatewayFixture.JsonAsync(list)).EnumerateArray());
        using var deleted = await _alice.DeleteAsync("api/v1/namespaces/_/rules/r");
        Assert.Equal("inactive", (await GatewayFixture.JsonAsync(deleted)).GetProperty("status").GetString());
        using var gone = await _alice.GetAsync("api/v1/namespaces/_/rules/r");
        await GatewayFixture.AssertErrorAsync(gone, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Rules_refer_to_an_existing_trigger_and_action_as_openwhisk_checks_them()
    {
        await PutOkAsync("api/v1/namespaces/_/triggers/tick", JsonContent.Create(new JsonObject()));
        using var noTrigger = await _alice.PutAsync("api/v1/namespaces/_/rules/r", Rule("/alice/nope", "/alice/hello"));
        Assert.Equal("trigger /alice/nope does not exist", await GatewayFixture.AssertErrorAsync(noTrigger, HttpStatusCode.BadRequest));
        using var noAction = await _alice.PutAsync("api/v1/namespaces/_/rules/r", Rule("/alice/tick", "/alice/nope"));
        Assert.Equal("action /alice/nope does not exist", await GatewayFixture.AssertErrorAsync(noAction, HttpStatusCode.BadRequest));
        using var neither = await _alice.PutAsync("api/v1/namespaces/_/rules/r", JsonContent.Create(new JsonObject()));
        Assert.Equal("rule requires a valid trigger and a valid action", await GatewayFixture.AssertErrorAsync(neither, HttpStatusCode.BadRequest));
        using var foreign = await _alice.PutAsync("api/v1/namespaces/_/rules/r", Rule("/alice/tick", "/bob/hello"));
        Assert.Contains("another namespace", await GatewayFixture.AssertErrorAsync(foreign, HttpStatusCode.BadRequest));

        // OpenWhisk's object form and a packaged action are accepted too.
        await PutOkAsync("api/v1/namespaces/_/packages/tools", PackageApiTests.Package());
        await PutOkAsync("api/v1/namespaces/_/actions/tools/x", Bodies.Wasm());
        using var objects = await _alice.PutAsync("api/v1/namespaces/_/rules/r", JsonContent.Create(new JsonObject
        {
            ["trigger"] = new JsonObject { ["path"] = "alice", ["name"] = "tick" },
            ["action"] = new JsonObject { ["path"] = "alice/tools", ["name"] = "x" },
        }));
        Assert.Equal(HttpStatusCode.OK, objects.StatusCode);
        Assert.Equal("""{"path":"alice/tools","name":"x"}""", (await GatewayFixture.JsonAsync(objects)).GetProperty("action").GetRawText());

        // Deleting the trigger leaves the rule, inactive; it cannot be activated until the trigger exists.
        (await _alice.DeleteAsync("api/v1/namespaces/_/triggers/tick")).Dispose();
        using var orphan = await _alice.GetAsync("api/v1/namespaces/_/rules/r");
        Assert.Equal("inactive", (await GatewayFixture.JsonAsync(orphan)).GetProperty("status").GetString());
        using var activate = await _alice.PostAsync("api/v1/namespaces/_/rules/r", Status("active"));
        Assert.Equal("Only rules with existing triggers can be activated", await GatewayFixture.AssertErrorAsync(activate, HttpStatusCode.NotFound));
        await PutOkAsync("api/v1/namespaces/_/triggers/tick", JsonContent.Create(new JsonObject()));
        using var recreated = await _alice.PostAsync("api/v1/namespaces/_/triggers/tick", null);
        Assert.Equal(HttpStatusCode.NoContent, recreated.StatusCode);
    }

    [Theory]
    [InlineData("""{"status": "paused"}""", "'paused' is not a recognized rule state, must be one of ['active', 'inactive']")]
    [InlineData("""{}""", "'(missing)' is not a recognized rule state")]
    [InlineData("""{"status": 1}""", "is not a recognized rule state")]
    public async Task A_status_change_that_is_not_active_or_inactive_is_a_400(string body, string expected)
    {
        await PutOkAsync("api/v1/namespaces/_/triggers/tick", JsonContent.Create(new JsonObject()));
        await PutOkAsync("api/v1/namespaces/_/rules/r", Rule("tick", "hello"));
        using var response = await _alice.PostAsync("api/v1/namespaces/_/rules/r", new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.Contains(expected, await GatewayFixture.AssertErrorAsync(response, HttpStatusCode.BadRequest));
        using var missing = await _alice.PostAsync("api/v1/namespaces/_/rules/nope", Status("active"));
        await GatewayFixture.AssertErrorAsync(missing, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_trigger_with_a_feed_is_refused_with_501_saying_why()
    {
        using var response = await _alice.PutAsync("api/v1/namespaces/_/triggers/tick", JsonContent.Create(new JsonObject
        {
            ["annotations"] = PackageApiTests.KeyValues(new JsonObject { ["feed"] = "/whisk.system/alarms/alarm" }),
        }));
        var error = await GatewayFixture.AssertErrorAsync(response, HttpStatusCode.NotImplemented);
        Assert.StartsWith("Feeds are not supported", error);
        using var gone = await _alice.GetAsync("api/v1/namespaces/_/triggers/tick");
        await GatewayFixture.AssertErrorAsync(gone, HttpStatusCode.NotFound);
    }

    [Theory]
    [InlineData("PUT", "triggers", """[1]""", "must be a JSON object")]
    [InlineData("PUT", "triggers", """{"parameters": "x"}""", "'parameters' must be an array")]
    [InlineData("PUT", "triggers", """{"limits": 5}""", "'limits' of a trigger must be an object")]
    [InlineData("PUT", "rules", """{"trigger": 5, "action": "hello"}""", "'trigger' must name a trigger")]
    [InlineData("PUT", "rules", """{"trigger": "tick", "action": "/a/b/c/d"}""", "'action' must name an action")]
    [InlineData("PUT", "rules", """{"trigger": "/alice/pkg/tick", "action": "hello"}""", "triggers are not in packages")]
    [InlineData("POST", "triggers", """[1, 2]""", "the payload of a trigger must be a JSON object")]
    [InlineData("POST", "triggers", """{"a": """, "not valid JSON")]
    public async Task Bad_input_is_a_400_that_says_what_is_wrong(string method, string collection, string body, string expected)
    {
        await PutOkAsync("api/v1/namespaces/_/triggers/tick", JsonContent.Create(new JsonObject()));
        using var request = new HttpRequestMessage(new HttpMethod(method), $"api/v1/namespaces/_/{collection}/{(collection == "rules" ? "r" : "tick")}")
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        if (method == "PUT" && collection == "triggers")
        {
            request.RequestUri = new Uri("api/v1/namespaces/_/triggers/other", UriKind.Relative);
        }

        using var response = await _alice.SendAsync(request);
        Assert.Contains(expected, await GatewayFixture.AssertErrorAsync(response, HttpStatusCode.BadRequest));
    }

    [Fact]
    public async Task A_trigger_has_at_most_100_rules()
    {
        await PutOkAsync("api/v1/namespaces/_/triggers/tick", JsonContent.Create(new JsonObject()));
        for (var i = 0; i < 100; i++)
        {
            await PutOkAsync($"api/v1/namespaces/_/rules/r{i}", Rule("tick", "hello"));
        }

        using var response = await _alice.PutAsync("api/v1/namespaces/_/rules/r100", Rule("tick", "hello"));
        Assert.Contains("100 rules already", await GatewayFixture.AssertErrorAsync(response, HttpStatusCode.BadRequest));
    }

    [Fact]
    public async Task Another_namespaces_triggers_and_rules_are_forbidden()
    {
        await PutOkAsync("api/v1/namespaces/_/triggers/tick", JsonContent.Create(new JsonObject()));
        await PutOkAsync("api/v1/namespaces/_/rules/r", Rule("tick", "hello"));
        using var bob = _gateway.Client(_gateway.Bob.Auth);
        foreach (var (method, path) in new[]
        {
            ("GET", "triggers"), ("GET", "triggers/tick"), ("POST", "triggers/tick"), ("DELETE", "triggers/tick"), ("PUT", "triggers/tick"),
            ("GET", "rules"), ("GET", "rules/r"), ("POST", "rules/r"), ("DELETE", "rules/r"), ("PUT", "rules/r"),
        })
        {
            using var request = new HttpRequestMessage(new HttpMethod(method), $"api/v1/namespaces/alice/{path}") { Content = JsonContent.Create(new JsonObject()) };
            using var response = await bob.SendAsync(request);
            await GatewayFixture.AssertErrorAsync(response, HttpStatusCode.Forbidden);
        }

        // Bob's own namespace has none of Alice's.
        using var own = await bob.GetAsync("api/v1/namespaces/_/triggers/tick");
        await GatewayFixture.AssertErrorAsync(own, HttpStatusCode.NotFound);
        using var unauthenticated = _gateway.Client(null);
        using var anonymous = await unauthenticated.GetAsync("api/v1/namespaces/alice/triggers");
        await GatewayFixture.AssertErrorAsync(anonymous, HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task A_namespace_lists_its_packages_rules_and_triggers()
    {
        await PutOkAsync("api/v1/namespaces/_/packages/tools", PackageApiTests.Package());
        await PutOkAsync("api/v1/namespaces/_/triggers/tick", JsonContent.Create(new JsonObject()));
        await PutOkAsync("api/v1/namespaces/_/rules/r", Rule("tick", "hello"));

        using var response = await _alice.GetAsync("api/v1/namespaces/_");
        var json = await GatewayFixture.JsonAsync(response);
        Assert.Equal("tools", json.GetProperty("packages")[0].GetProperty("name").GetString());
        Assert.Equal("tick", json.GetProperty("triggers")[0].GetProperty("name").GetString());
        Assert.Equal("r", json.GetProperty("rules")[0].GetProperty("name").GetString());
        Assert.Equal("active", json.GetProperty("rules")[0].GetProperty("status").GetString());
        Assert.Equal("hello", json.GetProperty("actions")[0].GetProperty("name").GetString());
    }

    private async Task PutOkAsync(string path, HttpContent body)
    {
        using var response = await _alice.PutAsync(path, body);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    internal static JsonContent Rule(string trigger, string action) => JsonContent.Create(new JsonObject { ["trigger"] = trigger, ["action"] = action });

    internal static JsonContent Status(string status) => JsonContent.Create(new JsonObject { ["status"] = status });
}
