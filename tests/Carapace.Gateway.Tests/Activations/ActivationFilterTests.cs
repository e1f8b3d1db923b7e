using System.Net;
using System.Text.Json;
using Carapace.Controller.Activations;
using Carapace.Controller.Registry;
using Carapace.Gateway.Tests.Support;

namespace Carapace.Gateway.Tests.Activations;

/// <summary>
/// OpenWhisk's list parameters of <c>/activations</c>: <c>count=true</c> answers <c>{"activations": N}</c>, and
/// <c>since</c>/<c>upto</c> (milliseconds since the epoch) keep the activations that started in [since, upto], both
/// ends inclusive as OpenWhisk's controller tests them.
/// </summary>
public sealed class ActivationFilterTests : IAsyncLifetime
{
    private const string Activations = "api/v1/namespaces/_/activations";
    private GatewayFixture _gateway = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        _gateway = await GatewayFixture.StartAsync();
        _client = _gateway.AliceClient();
    }

    public async Task DisposeAsync() => await _gateway.DisposeAsync();

    [Fact]
    public async Task Count_answers_an_object_with_the_number_of_activations_the_filters_keep()
    {
        Record("a");
        Record("a");
        Record("b");
        Record("other", "bob");

        Assert.Equal(3, await CountAsync(""));
        Assert.Equal(2, await CountAsync("&name=a"));
        Assert.Equal(1, await CountAsync("&skip=2"));
        Assert.Equal(0, await CountAsync("&skip=9"));

        using var body = await _client.GetAsync($"{Activations}?count=true");
        var json = await GatewayFixture.JsonAsync(body);
        Assert.Equal(JsonValueKind.Object, json.ValueKind);
        Assert.Equal(["activations"], json.EnumerateObject().Select(p => p.Name));
    }

    [Fact]
    public async Task Count_with_docs_is_refused_as_openwhisk_refuses_it()
    {
        using var response = await _client.GetAsync($"{Activations}?count=true&docs=true");
        var error = await GatewayFixture.AssertErrorAsync(response, HttpStatusCode.BadRequest);
        Assert.Equal("The parameter 'docs' is not permitted with 'count'.", error);
    }

    [Fact]
    public async Task Since_and_upto_keep_the_activations_that_started_between_them_both_inclusive()
    {
        var first = Record("a");
        var second = Record("a");
        var third = Record("a");
        var fourth = Record("a");
        var since = second.Start.ToUnixTimeMilliseconds();
        var upto = third.Start.ToUnixTimeMilliseconds();

        Assert.Equal([third.ActivationId.ToString(), second.ActivationId.ToString()], await IdsAsync($"since={since}&upto={upto}"));
        Assert.Equal([fourth.ActivationId.ToString(), third.ActivationId.ToString(), second.ActivationId.ToString()],
            await IdsAsync($"since={since}"));
        Assert.Equal([second.ActivationId.ToString(), first.ActivationId.ToString()], await IdsAsync($"upto={second.Start.ToUnixTimeMilliseconds()}"));
        Assert.Empty(await IdsAsync($"since={upto}&upto={since}"));
        Assert.Equal(2, await CountAsync($"&since={since}&upto={upto}"));
        Assert.Equal(2, (await IdsAsync($"docs=true&since={since}&upto={upto}")).Count);
    }

    [Theory]
    [InlineData("since=yesterday")]
    [InlineData("upto=1.5")]
    [InlineData("since=99999999999999999999")]
    public async Task A_time_that_is_not_milliseconds_since_the_epoch_is_a_400_that_says_so(string query)
    {
        using var response = await _client.GetAsync($"{Activations}?{query}");
        var error = await GatewayFixture.AssertErrorAsync(response, HttpStatusCode.BadRequest);
        Assert.Contains("milliseconds since the epoch", error, StringComparison.Ordinal);
    }

    private async Task<long> CountAsync(string query)
    {
        using var response = await _client.GetAsync($"{Activations}?count=true{query}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await GatewayFixture.JsonAsync(response)).GetProperty("activations").GetInt64();
    }

    private async Task<List<string>> IdsAsync(string query)
    {
        using var response = await _client.GetAsync($"{Activations}?{query}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return [.. (await GatewayFixture.JsonAsync(response)).EnumerateArray().Select(a => a.GetProperty("activationId").GetString()!)];
    }

    // One activation starting now, then the clock moves on a second.
    private ActivationRecord Record(string name, string ns = "alice")
    {
        var record = _gateway.Host.Activations.Start(new ActivationStart
        {
            Action = ActionName.Of(ns, name),
            Version = "0.0.1",
            Subject = ns,
            Kind = ActionKinds.Wasm,
            Limits = ActionLimits.Default,
            Confidential = false,
        });
        _gateway.Time.Advance(TimeSpan.FromSeconds(1));
        return record;
    }
}
