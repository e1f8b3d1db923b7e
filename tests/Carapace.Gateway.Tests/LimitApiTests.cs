using System.Net;
using Carapace.Gateway.Tests.Support;

namespace Carapace.Gateway.Tests;

/// <summary>
/// Limits that keep one request's work bounded, as the API reports them: a 400 that names the limit and stores or
/// reads nothing beyond it.
/// </summary>
public sealed class LimitApiTests : IAsyncLifetime
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
    public async Task A_sequence_that_flattens_to_more_than_fifty_actions_is_a_400_naming_the_limit()
    {
        (await _client.PutAsync(Actions + "a", Bodies.Wasm())).Dispose();
        using var fifty = await _client.PutAsync(Actions + "fifty", Bodies.Sequence([.. Enumerable.Repeat("/_/a", 50)]));
        Assert.Equal(HttpStatusCode.OK, fifty.StatusCode);

        using var tooLong = await _client.PutAsync(Actions + "outer", Bodies.Sequence("/_/fifty", "/_/a"));

        var error = await GatewayFixture.AssertErrorAsync(tooLong, HttpStatusCode.BadRequest);
        Assert.Contains("more than 50 actions", error, StringComparison.Ordinal);
        using var missing = await _client.GetAsync(Actions + "outer");
        await GatewayFixture.AssertErrorAsync(missing, HttpStatusCode.NotFound);
    }

    [Theory]
    [InlineData("api/v1/namespaces/_/actions?skip=100001")]
    [InlineData("api/v1/namespaces/_/activations?skip=100001")]
    public async Task A_list_that_would_skip_more_than_the_limit_is_a_400_naming_it(string path)
    {
        using var response = await _client.GetAsync(path);

        var error = await GatewayFixture.AssertErrorAsync(response, HttpStatusCode.BadRequest);
        Assert.Contains("100000", error, StringComparison.Ordinal);
    }
}
