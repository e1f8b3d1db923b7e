using System.Net;
using Carapace.Gateway.Tests.Support;

namespace Carapace.Gateway.Tests.Auth;

public sealed class AuthenticationTests : IAsyncLifetime
{
    private GatewayFixture _gateway = null!;

    public async Task InitializeAsync() => _gateway = await GatewayFixture.StartAsync();

    public async Task DisposeAsync() => await _gateway.DisposeAsync();

    [Fact]
    public async Task A_request_without_credentials_gets_401_with_OpenWhisk_error_json()
    {
        using var response = await _gateway.Client(null).GetAsync("api/v1/namespaces");
        var error = await GatewayFixture.AssertErrorAsync(response, HttpStatusCode.Unauthorized);
        Assert.StartsWith("The supplied authentication is invalid", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_wrong_key_or_unknown_uuid_gets_401()
    {
        using var wrongKey = await _gateway.Client(_gateway.Alice.Uuid + ":" + new string('x', 64)).GetAsync("api/v1/namespaces");
        await GatewayFixture.AssertErrorAsync(wrongKey, HttpStatusCode.Unauthorized);
        using var unknown = await _gateway.Client(Guid.NewGuid() + ":" + _gateway.Alice.Key).GetAsync("api/v1/namespaces");
        await GatewayFixture.AssertErrorAsync(unknown, HttpStatusCode.Unauthorized);
        using var swapped = await _gateway.Client(_gateway.Bob.Uuid + ":" + _gateway.Alice.Key).GetAsync("api/v1/namespaces");
        await GatewayFixture.AssertErrorAsync(swapped, HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Right_credentials_list_only_the_callers_namespace()
    {
        using var response = await _gateway.AliceClient().GetAsync("api/v1/namespaces");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(["alice"], (await GatewayFixture.JsonAsync(response)).EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public async Task A_namespace_other_than_the_callers_is_refused_and_underscore_is_the_callers()
    {
        using var other = await _gateway.AliceClient().GetAsync("api/v1/namespaces/bob/actions");
        await GatewayFixture.AssertErrorAsync(other, HttpStatusCode.Forbidden);
        using var missing = await _gateway.AliceClient().GetAsync("api/v1/namespaces/nobody/activations");
        await GatewayFixture.AssertErrorAsync(missing, HttpStatusCode.Forbidden);

        using var put = await _gateway.AliceClient().PutAsync("api/v1/namespaces/_/actions/hello", Bodies.Wasm());
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        Assert.Equal("alice", (await GatewayFixture.JsonAsync(put)).GetProperty("namespace").GetString());
        using var own = await _gateway.AliceClient().GetAsync("api/v1/namespaces/alice/actions/hello");
        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
        using var bobs = await _gateway.Client(_gateway.Bob.Auth).GetAsync("api/v1/namespaces/alice/actions/hello");
        await GatewayFixture.AssertErrorAsync(bobs, HttpStatusCode.Forbidden);
        using var bobsOwn = await _gateway.Client(_gateway.Bob.Auth).GetAsync("api/v1/namespaces/_/actions/hello");
        await GatewayFixture.AssertErrorAsync(bobsOwn, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Unknown_routes_and_methods_get_OpenWhisk_error_json()
    {
        using var route = await _gateway.AliceClient().GetAsync("api/v1/namespaces/_/nothing");
        await GatewayFixture.AssertErrorAsync(route, HttpStatusCode.NotFound);
        using var method = await _gateway.AliceClient().PostAsync("api/v1/namespaces/_/activations", new StringContent("{}"));
        Assert.True(method.StatusCode is HttpStatusCode.MethodNotAllowed or HttpStatusCode.NotFound, method.StatusCode.ToString());
        await GatewayFixture.AssertErrorAsync(method, method.StatusCode);
    }

    [Fact]
    public void Credentials_store_only_a_salted_hash_of_the_key()
    {
        var bytes = File.ReadAllBytes(_gateway.Credentials.Path);
        var walPath = _gateway.Credentials.Path + "-wal";
        var wal = File.Exists(walPath) ? File.ReadAllBytes(walPath) : [];
        var key = System.Text.Encoding.UTF8.GetBytes(_gateway.Alice.Key);
        Assert.Equal(-1, bytes.AsSpan().IndexOf(key));
        Assert.Equal(-1, wal.AsSpan().IndexOf(key));
        Assert.True(_gateway.Credentials.TryAuthenticate(_gateway.Alice.Uuid, _gateway.Alice.Key, out var ns));
        Assert.Equal("alice", ns);
        Assert.DoesNotContain(_gateway.Alice.Key, _gateway.Alice.ToString(), StringComparison.Ordinal);
        Assert.Matches("^[0-9a-f-]{36}:[A-Za-z0-9]{64}$", _gateway.Alice.Auth);
    }
}
