using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Carapace.Gateway.Tests.Support;

namespace Carapace.Gateway.Tests.Packages;

/// <summary>
/// OpenWhisk's packages over a real gateway: create, update, get, list, delete, bindings, actions in packages, the
/// publish flag across namespaces, and parameter precedence (package &lt; binding &lt; action) as GET shows it.
/// </summary>
public sealed class PackageApiTests : IAsyncLifetime
{
    private GatewayFixture _gateway = null!;
    private HttpClient _alice = null!;
    private HttpClient _bob = null!;

    public async Task InitializeAsync()
    {
        _gateway = await GatewayFixture.StartAsync();
        _alice = _gateway.AliceClient();
        _bob = _gateway.Client(_gateway.Bob.Auth);
    }

    public async Task DisposeAsync() => await _gateway.DisposeAsync();

    [Fact]
    public async Task A_package_is_created_got_listed_updated_and_deleted_in_openwhisks_shape()
    {
        using var created = await _alice.PutAsync("api/v1/namespaces/_/packages/utils",
            Package(parameters: new JsonObject { ["greeting"] = "hello" }, annotations: new JsonObject { ["description"] = "tools" }));
        Assert.Equal(HttpStatusCode.OK, created.StatusCode);
        var json = await GatewayFixture.JsonAsync(created);
        Assert.Equal("alice", json.GetProperty("namespace").GetString());
        Assert.Equal("utils", json.GetProperty("name").GetString());
        Assert.Equal("0.0.1", json.GetProperty("version").GetString());
        Assert.False(json.GetProperty("publish").GetBoolean());
        Assert.Equal("{}", json.GetProperty("binding").GetRawText());
        Assert.Equal("""[{"key":"greeting","value":"hello"}]""", json.GetProperty("parameters").GetRawText());

        using var again = await _alice.PutAsync("api/v1/namespaces/_/packages/utils", Package());
        Assert.Contains("already exists", await GatewayFixture.AssertErrorAsync(again, HttpStatusCode.Conflict));

        using var updated = await _alice.PutAsync("api/v1/namespaces/_/packages/utils?overwrite=true", Package(publish: true));
        var after = await GatewayFixture.JsonAsync(updated);
        Assert.Equal("0.0.2", after.GetProperty("version").GetString());
        Assert.True(after.GetProperty("publish").GetBoolean());
        // Fields the update left out keep their value.
        Assert.Equal("""[{"key":"greeting","value":"hello"}]""", after.GetProperty("parameters").GetRawText());

        using var got = await _alice.GetAsync("api/v1/namespaces/_/packages/utils");
        var package = await GatewayFixture.JsonAsync(got);
        Assert.Equal("[]", package.GetProperty("actions").GetRawText());
        Assert.Equal("[]", package.GetProperty("feeds").GetRawText());

        using var list = await _alice.GetAsync("api/v1/namespaces/_/packages");
        Assert.Equal(["utils"], (await GatewayFixture.JsonAsync(list)).EnumerateArray().Select(p => p.GetProperty("name").GetString()));
        using var count = await _alice.GetAsync("api/v1/namespaces/_/packages?count=true");
        Assert.Equal("""{"packages":1}""", (await GatewayFixture.JsonAsync(count)).GetRawText());

        using var deleted = await _alice.DeleteAsync("api/v1/namespaces/_/packages/utils");
        Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
        using var gone = await _alice.GetAsync("api/v1/namespaces/_/packages/utils");
        await GatewayFixture.AssertErrorAsync(gone, HttpStatusCode.NotFound);
        using var goneAgain = await _alice.DeleteAsync("api/v1/namespaces/_/packages/utils");
        await GatewayFixture.AssertErrorAsync(goneAgain, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Actions_live_in_a_package_and_a_package_holding_actions_is_not_deleted_without_force()
    {
        await PutOkAsync("api/v1/namespaces/_/packages/tools", Package());
        using var action = await _alice.PutAsync("api/v1/namespaces/_/actions/tools/hello", Bodies.Wasm());
        Assert.Equal(HttpStatusCode.OK, action.StatusCode);
        var json = await GatewayFixture.JsonAsync(action);
        Assert.Equal("alice/tools", json.GetProperty("namespace").GetString());
        Assert.Equal("hello", json.GetProperty("name").GetString());

        using var got = await _alice.GetAsync("api/v1/namespaces/_/actions/tools/hello?code=false");
        Assert.Equal("alice/tools", (await GatewayFixture.JsonAsync(got)).GetProperty("namespace").GetString());
        using var package = await _alice.GetAsync("api/v1/namespaces/_/packages/tools");
        var actions = (await GatewayFixture.JsonAsync(package)).GetProperty("actions");
        Assert.Equal("hello", actions[0].GetProperty("name").GetString());
        Assert.Equal("0.0.1", actions[0].GetProperty("version").GetString());

        using var refused = await _alice.DeleteAsync("api/v1/namespaces/_/packages/tools");
        Assert.Equal("Package not empty (contains 1 entity). Set force param or delete package contents.",
            await GatewayFixture.AssertErrorAsync(refused, HttpStatusCode.Conflict));
        using var still = await _alice.GetAsync("api/v1/namespaces/_/actions/tools/hello");
        Assert.Equal(HttpStatusCode.OK, still.StatusCode);

        using var forced = await _alice.DeleteAsync("api/v1/namespaces/_/packages/tools?force=true");
        Assert.Equal(HttpStatusCode.OK, forced.StatusCode);
        using var actionGone = await _alice.GetAsync("api/v1/namespaces/_/actions/tools/hello");
        await GatewayFixture.AssertErrorAsync(actionGone, HttpStatusCode.NotFound);
        Assert.Equal(0, _gateway.Host.Registry.CountModules());
    }

    [Fact]
    public async Task An_emptied_package_can_be_deleted()
    {
        await PutOkAsync("api/v1/namespaces/_/packages/tools", Package());
        await PutOkAsync("api/v1/namespaces/_/actions/tools/a", Bodies.Wasm());
        (await _alice.DeleteAsync("api/v1/namespaces/_/actions/tools/a")).Dispose();

        using var deleted = await _alice.DeleteAsync("api/v1/namespaces/_/packages/tools");
        Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
    }

    [Fact]
    public async Task An_action_needs_its_package_and_a_binding_holds_no_actions()
    {
        using var missing = await _alice.PutAsync("api/v1/namespaces/_/actions/nowhere/hello", Bodies.Wasm());
        Assert.Contains("/alice/nowhere does not exist", await GatewayFixture.AssertErrorAsync(missing, HttpStatusCode.NotFound));

        await PutOkAsync("api/v1/namespaces/_/packages/tools", Package());
        await PutOkAsync("api/v1/namespaces/_/packages/mine", Package(binding: new JsonObject { ["namespace"] = "_", ["name"] = "tools" }));
        using var inBinding = await _alice.PutAsync("api/v1/namespaces/_/actions/mine/hello", Bodies.Wasm());
        Assert.Equal("Operation not permitted on package binding.", await GatewayFixture.AssertErrorAsync(inBinding, HttpStatusCode.BadRequest));
        using var deleteInBinding = await _alice.DeleteAsync("api/v1/namespaces/_/actions/mine/hello");
        Assert.Equal("Operation not permitted on package binding.", await GatewayFixture.AssertErrorAsync(deleteInBinding, HttpStatusCode.BadRequest));
    }

    [Fact]
    public async Task Parameters_are_inherited_package_under_binding_under_action()
    {
        await PutOkAsync("api/v1/namespaces/_/packages/tools",
            Package(parameters: new JsonObject { ["a"] = "package", ["b"] = "package", ["c"] = "package" }));
        await PutOkAsync("api/v1/namespaces/_/actions/tools/show",
            Bodies.Wasm(parameters: new JsonArray(new JsonObject { ["key"] = "c", ["value"] = "action" })));
        await PutOkAsync("api/v1/namespaces/_/packages/mine",
            Package(binding: new JsonObject { ["namespace"] = "alice", ["name"] = "tools" }, parameters: new JsonObject { ["b"] = "binding", ["c"] = "binding" }));

        using var direct = await _alice.GetAsync("api/v1/namespaces/_/actions/tools/show?code=false");
        Assert.Equal(new Dictionary<string, string> { ["a"] = "package", ["b"] = "package", ["c"] = "action" }, Parameters(await GatewayFixture.JsonAsync(direct)));

        using var bound = await _alice.GetAsync("api/v1/namespaces/_/actions/mine/show?code=false");
        var boundJson = await GatewayFixture.JsonAsync(bound);
        // As OpenWhisk: the bound package's action, with the binding's parameters over the package's.
        Assert.Equal("alice/tools", boundJson.GetProperty("namespace").GetString());
        Assert.Equal(new Dictionary<string, string> { ["a"] = "package", ["b"] = "binding", ["c"] = "action" }, Parameters(boundJson));

        using var binding = await _alice.GetAsync("api/v1/namespaces/_/packages/mine");
        var bindingJson = await GatewayFixture.JsonAsync(binding);
        Assert.Equal("mine", bindingJson.GetProperty("name").GetString());
        Assert.Equal("""{"namespace":"alice","name":"tools"}""", bindingJson.GetProperty("binding").GetRawText());
        Assert.Equal(new Dictionary<string, string> { ["a"] = "package", ["b"] = "binding", ["c"] = "binding" }, Parameters(bindingJson));
        Assert.Equal("show", bindingJson.GetProperty("actions")[0].GetProperty("name").GetString());
        Assert.Contains(bindingJson.GetProperty("annotations").EnumerateArray(), a => a.GetProperty("key").GetString() == "binding");
    }

    [Fact]
    public async Task Bindings_follow_openwhisks_rules()
    {
        await PutOkAsync("api/v1/namespaces/_/packages/tools", Package());
        await PutOkAsync("api/v1/namespaces/_/packages/mine", Package(binding: new JsonObject { ["namespace"] = "alice", ["name"] = "tools" }));

        using var missing = await _alice.PutAsync("api/v1/namespaces/_/packages/b1", Package(binding: new JsonObject { ["namespace"] = "alice", ["name"] = "nope" }));
        Assert.Equal("Binding references a package that does not exist.", await GatewayFixture.AssertErrorAsync(missing, HttpStatusCode.BadRequest));
        using var toBinding = await _alice.PutAsync("api/v1/namespaces/_/packages/b2", Package(binding: new JsonObject { ["namespace"] = "alice", ["name"] = "mine" }));
        Assert.Equal("Cannot bind to another package binding.", await GatewayFixture.AssertErrorAsync(toBinding, HttpStatusCode.BadRequest));
        using var becomes = await _alice.PutAsync("api/v1/namespaces/_/packages/tools?overwrite=true",
            Package(binding: new JsonObject { ["namespace"] = "alice", ["name"] = "mine" }));
        Assert.Equal("Resource is a package and cannot be converted into a binding.", await GatewayFixture.AssertErrorAsync(becomes, HttpStatusCode.Conflict));
        using var reserved = await _alice.PutAsync("api/v1/namespaces/_/packages/default", Package());
        Assert.Equal("Package name 'default' is reserved.", await GatewayFixture.AssertErrorAsync(reserved, HttpStatusCode.BadRequest));

        // A binding can be deleted whatever its package holds; the package it referred to stays.
        await PutOkAsync("api/v1/namespaces/_/actions/tools/a", Bodies.Wasm());
        using var deleted = await _alice.DeleteAsync("api/v1/namespaces/_/packages/mine");
        Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
        using var package = await _alice.GetAsync("api/v1/namespaces/_/packages/tools");
        Assert.Equal(HttpStatusCode.OK, package.StatusCode);
    }

    [Fact]
    public async Task Another_namespace_sees_and_binds_only_what_was_published()
    {
        await PutOkAsync("api/v1/namespaces/_/packages/private", Package(parameters: new JsonObject { ["secret"] = "alice's" }));
        await PutOkAsync("api/v1/namespaces/_/packages/shared", Package(publish: true, parameters: new JsonObject { ["p"] = "alice's" }));
        await PutOkAsync("api/v1/namespaces/_/actions/shared/tool", Bodies.Wasm());

        using var list = await _bob.GetAsync("api/v1/namespaces/alice/packages");
        Assert.Equal(["shared"], (await GatewayFixture.JsonAsync(list)).EnumerateArray().Select(p => p.GetProperty("name").GetString()));
        using var hidden = await _bob.GetAsync("api/v1/namespaces/alice/packages/private");
        await GatewayFixture.AssertErrorAsync(hidden, HttpStatusCode.NotFound);
        using var visible = await _bob.GetAsync("api/v1/namespaces/alice/packages/shared");
        Assert.Equal(HttpStatusCode.OK, visible.StatusCode);

        // Only the owner changes them.
        using var put = await _bob.PutAsync("api/v1/namespaces/alice/packages/shared?overwrite=true", Package());
        await GatewayFixture.AssertErrorAsync(put, HttpStatusCode.Forbidden);
        using var delete = await _bob.DeleteAsync("api/v1/namespaces/alice/packages/shared");
        await GatewayFixture.AssertErrorAsync(delete, HttpStatusCode.Forbidden);
        using var putAction = await _bob.PutAsync("api/v1/namespaces/alice/actions/shared/mine", Bodies.Wasm());
        await GatewayFixture.AssertErrorAsync(putAction, HttpStatusCode.Forbidden);

        using var toPrivate = await _bob.PutAsync("api/v1/namespaces/_/packages/b", Package(binding: new JsonObject { ["namespace"] = "alice", ["name"] = "private" }));
        Assert.Equal("Binding references a package that does not exist.", await GatewayFixture.AssertErrorAsync(toPrivate, HttpStatusCode.BadRequest));
        await PutOkAsync("api/v1/namespaces/_/packages/b", Package(binding: new JsonObject { ["namespace"] = "alice", ["name"] = "shared" }), _bob);
        using var through = await _bob.GetAsync("api/v1/namespaces/_/actions/b/tool?code=false");
        Assert.Equal(HttpStatusCode.OK, through.StatusCode);

        // Unpublished later: the binding no longer reaches it.
        await PutOkAsync("api/v1/namespaces/_/packages/shared?overwrite=true", Package(publish: false));
        using var after = await _bob.GetAsync("api/v1/namespaces/_/actions/b/tool?code=false");
        await GatewayFixture.AssertErrorAsync(after, HttpStatusCode.NotFound);
        using var binding = await _bob.GetAsync("api/v1/namespaces/_/packages/b");
        Assert.Contains("no longer", await GatewayFixture.AssertErrorAsync(binding, HttpStatusCode.NotFound));
    }

    [Theory]
    [InlineData("""[]""", "must be a JSON object")]
    [InlineData("""{"parameters": {"a": 1}}""", "'parameters' must be an array")]
    [InlineData("""{"annotations": [{"key": "", "value": 1}]}""", "annotations")]
    [InlineData("""{"publish": "yes"}""", "'publish' must be true or false.")]
    [InlineData("""{"binding": "alice/tools"}""", "'binding' must be {} or an object")]
    [InlineData("""{"binding": {"namespace": "alice", "name": "no/slash"}}""", "not a valid package name")]
    [InlineData("""{"parameters": [{"key": "a", "value": 1}, {"key": "a", "value": 2}]}""", "parameters")]
    [InlineData("""not json""", "not valid JSON")]
    public async Task A_bad_body_is_a_400_that_says_what_is_wrong_and_stores_nothing(string body, string expected)
    {
        using var response = await _alice.PutAsync("api/v1/namespaces/_/packages/p", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
        Assert.Contains(expected, await GatewayFixture.AssertErrorAsync(response, HttpStatusCode.BadRequest));
        using var gone = await _alice.GetAsync("api/v1/namespaces/_/packages/p");
        await GatewayFixture.AssertErrorAsync(gone, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Names_and_sizes_are_bounded()
    {
        using var badName = await _alice.PutAsync("api/v1/namespaces/_/packages/-bad", Package());
        Assert.Contains("not a valid package name", await GatewayFixture.AssertErrorAsync(badName, HttpStatusCode.BadRequest));
        using var longName = await _alice.PutAsync($"api/v1/namespaces/_/packages/{new string('p', 257)}", Package());
        await GatewayFixture.AssertErrorAsync(longName, HttpStatusCode.BadRequest);

        var many = new JsonObject();
        for (var i = 0; i < 1001; i++)
        {
            many[$"k{i}"] = i;
        }

        using var tooMany = await _alice.PutAsync("api/v1/namespaces/_/packages/p", Package(parameters: many));
        Assert.Contains("at most 1000", await GatewayFixture.AssertErrorAsync(tooMany, HttpStatusCode.BadRequest));

        using var huge = await _alice.PutAsync("api/v1/namespaces/_/packages/p",
            Package(parameters: new JsonObject { ["big"] = new string('x', 4 * 1024 * 1024) }));
        await GatewayFixture.AssertErrorAsync(huge, HttpStatusCode.RequestEntityTooLarge);
    }

    private async Task PutOkAsync(string path, HttpContent body, HttpClient? client = null)
    {
        using var response = await (client ?? _alice).PutAsync(path, body);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    private static Dictionary<string, string> Parameters(JsonElement entity) =>
        entity.GetProperty("parameters").EnumerateArray().ToDictionary(p => p.GetProperty("key").GetString()!, p => p.GetProperty("value").GetString()!);

    internal static JsonContent Package(JsonObject? binding = null, JsonObject? parameters = null, JsonObject? annotations = null, bool? publish = null)
    {
        var body = new JsonObject();
        if (binding is not null)
        {
            body["binding"] = binding;
        }

        if (parameters is not null)
        {
            body["parameters"] = KeyValues(parameters);
        }

        if (annotations is not null)
        {
            body["annotations"] = KeyValues(annotations);
        }

        if (publish is { } p)
        {
            body["publish"] = p;
        }

        return JsonContent.Create(body);
    }

    internal static JsonArray KeyValues(JsonObject values) =>
        new([.. values.Select(p => (JsonNode)new JsonObject { ["key"] = p.Key, ["value"] = p.Value?.DeepClone() })]);
}
