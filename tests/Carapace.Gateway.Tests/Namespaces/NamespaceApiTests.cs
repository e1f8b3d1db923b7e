using System.Net;
using System.Text.Json;
using Carapace.Gateway.Tests.Support;

namespace Carapace.Gateway.Tests.Namespaces;

/// <summary>
/// <c>GET /namespaces/{ns}</c> (the OpenWhisk clients' <c>namespaces.get</c>) and <c>GET /actions?count=true</c>.
/// </summary>
public sealed class NamespaceApiTests : IAsyncLifetime
{
    private GatewayFixture _gateway = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        _gateway = await GatewayFixture.StartAsync();
        _client = _gateway.AliceClient();
    }

    public async Task DisposeAsync() => await _gateway.DisposeAsync();

    [Fact]
    public async Task A_namespace_lists_its_actions_packages_rules_and_triggers()
    {
        (await _client.PutAsync("api/v1/namespaces/_/actions/one", Bodies.Wasm())).Dispose();
        (await _client.PutAsync("api/v1/namespaces/_/actions/two", Bodies.Wasm())).Dispose();

        foreach (var path in new[] { "api/v1/namespaces/_", "api/v1/namespaces/alice" })
        {
            using var response = await _client.GetAsync(path);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var json = await GatewayFixture.JsonAsync(response);
            Assert.Equal(["actions", "packages", "rules", "triggers"], json.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
            var actions = json.GetProperty("actions").EnumerateArray().ToList();
            Assert.Equal(["one", "two"], actions.Select(a => a.GetProperty("name").GetString()).Order(StringComparer.Ordinal));
            Assert.All(actions, a => Assert.False(a.GetProperty("exec").TryGetProperty("code", out _)));
            Assert.Empty(json.GetProperty("packages").EnumerateArray());
            Assert.Empty(json.GetProperty("rules").EnumerateArray());
            Assert.Empty(json.GetProperty("triggers").EnumerateArray());
        }
    }

    [Fact]
    public async Task Another_namespace_is_forbidden()
    {
        using var response = await _client.GetAsync("api/v1/namespaces/bob");
        await GatewayFixture.AssertErrorAsync(response, HttpStatusCode.Forbidden);
        using var limits = await _client.GetAsync("api/v1/namespaces/bob/limits");
        await GatewayFixture.AssertErrorAsync(limits, HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task Limits_are_openwhisks_fields_with_the_values_this_platform_enforces()
    {
        using var response = await _client.GetAsync("api/v1/namespaces/_/limits");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var limits = await GatewayFixture.JsonAsync(response);
        Assert.Equal(128, limits.GetProperty("minActionMemory").GetInt32());
        Assert.Equal(512, limits.GetProperty("maxActionMemory").GetInt32());
        Assert.Equal(100, limits.GetProperty("minActionTimeout").GetInt32());
        Assert.Equal(300_000, limits.GetProperty("maxActionTimeout").GetInt32());
        Assert.Equal(10, limits.GetProperty("maxActionLogs").GetInt32());
        Assert.Equal(1, limits.GetProperty("maxActionConcurrency").GetInt32());
        Assert.Equal("1048576 B", limits.GetProperty("maxParameterSize").GetString());
        Assert.Equal($"{16 * 1024 * 1024} B", limits.GetProperty("maxPayloadSize").GetString());
        // No rate per minute is enforced, and this gateway runs nothing, so it names no concurrency.
        Assert.False(limits.TryGetProperty("invocationsPerMinute", out _));
        Assert.False(limits.TryGetProperty("concurrentInvocations", out _));
    }

    [Fact]
    public async Task Count_of_actions_answers_an_object_with_their_number()
    {
        foreach (var name in new[] { "a", "b", "c" })
        {
            (await _client.PutAsync($"api/v1/namespaces/_/actions/{name}", Bodies.Wasm())).Dispose();
        }

        (await _gateway.Client(_gateway.Bob.Auth).PutAsync("api/v1/namespaces/_/actions/x", Bodies.Wasm())).Dispose();

        Assert.Equal(3, await CountAsync("count=true"));
        Assert.Equal(1, await CountAsync("count=true&skip=2"));
        Assert.Equal(0, await CountAsync("count=true&skip=5"));

        using var list = await _client.GetAsync("api/v1/namespaces/_/actions?count=false");
        Assert.Equal(3, (await GatewayFixture.JsonAsync(list)).GetArrayLength());
    }

    private async Task<long> CountAsync(string query)
    {
        using var response = await _client.GetAsync($"api/v1/namespaces/_/actions?{query}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var json = await GatewayFixture.JsonAsync(response);
        Assert.Equal(["actions"], json.EnumerateObject().Select(p => p.Name));
        return json.GetProperty("actions").GetInt64();
    }
}
