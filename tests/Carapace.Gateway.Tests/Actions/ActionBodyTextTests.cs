using System.Net;
using System.Text;
using Carapace.Gateway.Tests.Support;

namespace Carapace.Gateway.Tests.Actions;

/// <summary>
/// JSON lets a string escape a lone surrogate ("\ud800"), which no .NET string can hold. Found by fuzzing
/// (fuzz/crashes/gateway-action): reading such a string in an action body threw out of the parser, a 500.
/// </summary>
public sealed class ActionBodyTextTests : IAsyncLifetime
{
    private GatewayFixture _gateway = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        _gateway = await GatewayFixture.StartAsync();
        _client = _gateway.AliceClient();
    }

    public async Task DisposeAsync() => await _gateway.DisposeAsync();

    [Theory]
    [InlineData("""{"exec":{"kind":"\ud800"}}""")]
    [InlineData("""{"exec":{"kind":"sequence","components":["/_/a\udc00"]}}""")]
    [InlineData("""{"exec":{"kind":"wasm:wasi","code":"AGFzbQEAAAA="},"annotations":[{"key":"\ud800x","value":1}]}""")]
    public async Task A_lone_surrogate_escape_in_an_action_body_is_a_bad_request_that_says_why(string body)
    {
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        using var response = await _client.PutAsync("api/v1/namespaces/_/actions/surrogate", content);

        var error = await GatewayFixture.AssertErrorAsync(response, HttpStatusCode.BadRequest);
        Assert.Contains("not valid Unicode (it escapes a lone surrogate", error, StringComparison.Ordinal);
    }
}
