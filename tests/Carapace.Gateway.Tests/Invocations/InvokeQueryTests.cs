using System.Net;
using Carapace.Gateway.Tests.Support;

namespace Carapace.Gateway.Tests.Invocations;

/// <summary>OpenWhisk's <c>timeout</c> query parameter of an invocation: milliseconds, 1 up to the blocking wait.</summary>
public sealed class InvokeQueryTests : IAsyncLifetime
{
    private GatewayFixture _gateway = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        _gateway = await GatewayFixture.StartAsync();
        _client = _gateway.AliceClient();
        (await _client.PutAsync("api/v1/namespaces/_/actions/hello", Bodies.Wasm())).Dispose();
    }

    public async Task DisposeAsync() => await _gateway.DisposeAsync();

    [Theory]
    [InlineData("0")]
    [InlineData("-5")]
    [InlineData("60001")]
    [InlineData("1.5")]
    [InlineData("soon")]
    public async Task A_timeout_that_is_not_milliseconds_up_to_the_blocking_wait_is_openwhisks_400(string timeout)
    {
        using var response = await _client.PostAsync($"api/v1/namespaces/_/actions/hello?blocking=true&timeout={timeout}", null);
        var error = await GatewayFixture.AssertErrorAsync(response, HttpStatusCode.BadRequest);
        Assert.Equal("Timeout must be number of milliseconds up to 60000.", error);
    }

    [Fact]
    public async Task A_valid_timeout_is_accepted()
    {
        // This gateway has no controller: a valid request gets as far as saying so.
        using var response = await _client.PostAsync("api/v1/namespaces/_/actions/hello?blocking=true&timeout=60000", null);
        await GatewayFixture.AssertErrorAsync(response, HttpStatusCode.ServiceUnavailable);
    }
}
