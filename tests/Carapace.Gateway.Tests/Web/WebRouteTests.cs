using System.Net;
using System.Text.Json.Nodes;
using Carapace.Gateway.Tests.Support;
using Carapace.Gateway.Web;

namespace Carapace.Gateway.Tests.Web;

/// <summary>
/// The web route's checks before anything runs, on a gateway without a controller: no credential is needed there,
/// every other route still needs one, and the action's annotations decide who may call it.
/// </summary>
public sealed class WebRouteTests : IAsyncLifetime
{
    private GatewayFixture _gateway = null!;

    public async Task InitializeAsync()
    {
        _gateway = await GatewayFixture.StartAsync(maxRequestBytes: 64 * 1024);
        await DeployAsync("exported", new JsonObject { ["web-export"] = true, ["confidential"] = false });
        await DeployAsync("hidden", new JsonObject { ["confidential"] = false });
        await DeployAsync("string-export", new JsonObject { ["web-export"] = "true", ["confidential"] = false });
        await DeployAsync("sealed", new JsonObject { ["web-export"] = true });
        await DeployAsync("secret", new JsonObject { ["web-export"] = true, ["confidential"] = false, ["require-whisk-auth"] = "s3cret" });
        await DeployAsync("numbered", new JsonObject { ["web-export"] = true, ["confidential"] = false, ["require-whisk-auth"] = 4711 });
        await DeployAsync("owners", new JsonObject { ["web-export"] = true, ["confidential"] = false, ["require-whisk-auth"] = true });
        await DeployAsync("odd-auth", new JsonObject { ["web-export"] = true, ["confidential"] = false, ["require-whisk-auth"] = new JsonArray() });
    }

    public async Task DisposeAsync() => await _gateway.DisposeAsync();

    private async Task DeployAsync(string name, JsonObject annotations)
    {
        var array = new JsonArray([.. annotations.Select(a => (JsonNode)new JsonObject { ["key"] = a.Key, ["value"] = a.Value?.DeepClone() })]);
        using var response = await _gateway.AliceClient().PutAsync($"api/v1/namespaces/_/actions/{name}", Bodies.Wasm(annotations: array));
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    private HttpClient Anonymous => _gateway.Client(null);

    [Fact]
    public async Task An_exported_action_is_reached_without_a_credential_while_every_other_route_still_needs_one()
    {
        // Past every check, a gateway without a controller answers 503: the request was let in.
        using var web = await Anonymous.GetAsync("api/v1/web/alice/default/exported.json");
        Assert.Contains("no controller", await GatewayFixture.AssertErrorAsync(web, HttpStatusCode.ServiceUnavailable), StringComparison.Ordinal);

        foreach (var path in new[]
                 {
                     "api/v1/namespaces", "api/v1/namespaces/alice/actions", "api/v1/namespaces/_/actions/exported",
                     "api/v1/namespaces/_/activations", "api/v1/carapace/info", "api/v1/webx/alice/default/exported.json",
                     "api/v1/web/../namespaces/_/actions", "api/v1/web/%2e%2e/namespaces/_/actions", "api/v1/nope",
                 })
        {
            using var response = await Anonymous.GetAsync(path);
            await GatewayFixture.AssertErrorAsync(response, HttpStatusCode.Unauthorized);
        }

        using var invoke = await Anonymous.PostAsync("api/v1/namespaces/alice/actions/exported?blocking=true", new StringContent("{}"));
        await GatewayFixture.AssertErrorAsync(invoke, HttpStatusCode.Unauthorized);
    }

    [Theory]
    [InlineData("api/v1/web/alice/default/hidden.json")] // not exported
    [InlineData("api/v1/web/alice/default/string-export.json")] // "true" is not the boolean true
    [InlineData("api/v1/web/alice/default/missing.json")]
    [InlineData("api/v1/web/nobody/default/exported.json")]
    [InlineData("api/v1/web/alice/somepackage/exported.json")] // no package holds it
    [InlineData("api/v1/web/alice/default/exported.xml")] // an unknown extension is part of the name
    [InlineData("api/v1/web/alice/default/-bad.json")]
    public async Task What_is_not_an_exported_action_is_not_found(string path)
    {
        using var response = await Anonymous.GetAsync(path);
        Assert.Equal("The requested resource does not exist.", await GatewayFixture.AssertErrorAsync(response, HttpStatusCode.NotFound));
    }

    [Fact]
    public async Task A_confidential_action_is_refused_with_the_reason()
    {
        using var response = await Anonymous.PostAsync("api/v1/web/alice/default/sealed.json", new StringContent("{}"));
        var error = await GatewayFixture.AssertErrorAsync(response, HttpStatusCode.BadRequest);
        Assert.Contains("/alice/sealed is confidential", error, StringComparison.Ordinal);
        Assert.Contains("confidential: false", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_secret_in_require_whisk_auth_must_come_in_its_header()
    {
        using var none = await Anonymous.GetAsync("api/v1/web/alice/default/secret.json");
        Assert.Equal(WebMessages.Unauthorized, await GatewayFixture.AssertErrorAsync(none, HttpStatusCode.Unauthorized));
        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync("secret", "S3CRET")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync("secret", "s3cre")).StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await SendAsync("secret", "s3cret")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync("numbered", "4712")).StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await SendAsync("numbered", "4711")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync("odd-auth", "[]")).StatusCode);
    }

    private async Task<HttpResponseMessage> SendAsync(string action, string secret)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"api/v1/web/alice/default/{action}.json");
        request.Headers.Add("X-Require-Whisk-Auth", secret);
        return await Anonymous.SendAsync(request);
    }

    [Fact]
    public async Task Require_whisk_auth_true_lets_in_only_a_credential_of_the_actions_namespace()
    {
        using var anonymous = await Anonymous.GetAsync("api/v1/web/alice/default/owners.json");
        await GatewayFixture.AssertErrorAsync(anonymous, HttpStatusCode.Unauthorized);
        using var bob = await _gateway.Client(_gateway.Bob.Auth).GetAsync("api/v1/web/alice/default/owners.json");
        await GatewayFixture.AssertErrorAsync(bob, HttpStatusCode.Unauthorized);
        using var wrongKey = await _gateway.Client(_gateway.Alice.Uuid + ":" + new string('x', 64)).GetAsync("api/v1/web/alice/default/owners.json");
        await GatewayFixture.AssertErrorAsync(wrongKey, HttpStatusCode.Unauthorized);
        using var alice = await _gateway.AliceClient().GetAsync("api/v1/web/alice/default/owners.json");
        await GatewayFixture.AssertErrorAsync(alice, HttpStatusCode.ServiceUnavailable);
    }

    [Fact]
    public async Task Options_is_answered_with_cors_headers_without_running_the_action()
    {
        using var request = new HttpRequestMessage(HttpMethod.Options, "api/v1/web/alice/default/secret.json");
        request.Headers.Add("Access-Control-Request-Headers", "X-Custom, Content-Type");
        using var response = await Anonymous.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("*", response.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.Equal("OPTIONS, GET, DELETE, POST, PUT, HEAD, PATCH", response.Headers.GetValues("Access-Control-Allow-Methods").Single());
        Assert.Equal("X-Custom, Content-Type", response.Headers.GetValues("Access-Control-Allow-Headers").Single());
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());

        using var refused = await Anonymous.GetAsync("api/v1/web/alice/default/secret.json");
        Assert.Equal("Authorization, Origin, X-Requested-With, Content-Type, Accept, User-Agent",
            refused.Headers.GetValues("Access-Control-Allow-Headers").Single());
    }

    [Fact]
    public async Task A_method_outside_openwhisks_list_is_not_allowed()
    {
        using var request = new HttpRequestMessage(new HttpMethod("PROPFIND"), "api/v1/web/alice/default/exported.json");
        using var response = await Anonymous.SendAsync(request);
        await GatewayFixture.AssertErrorAsync(response, HttpStatusCode.MethodNotAllowed);
    }
}
