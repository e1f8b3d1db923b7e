using System.Net;
using Carapace.Gateway.Tests.Support;

namespace Carapace.Gateway.Tests.Actions;

public sealed class RequestLimitTests
{
    [Fact]
    public async Task A_body_over_the_limit_gets_413_with_OpenWhisk_error_json_and_stores_nothing()
    {
        await using var gateway = await GatewayFixture.StartAsync(maxRequestBytes: 64 * 1024);
        var client = gateway.AliceClient();
        using var response = await client.PutAsync("api/v1/namespaces/_/actions/big", Bodies.Wasm(Bodies.ModuleOfSize(100 * 1024)));
        var error = await GatewayFixture.AssertErrorAsync(response, HttpStatusCode.RequestEntityTooLarge);
        Assert.Contains("65536", error, StringComparison.Ordinal);
        Assert.Null(gateway.Host.Registry.Get(Carapace.Controller.Registry.ActionName.Of("alice", "big")));

        using var small = await client.PutAsync("api/v1/namespaces/_/actions/small", Bodies.Wasm(Bodies.ModuleOfSize(10 * 1024)));
        Assert.Equal(HttpStatusCode.OK, small.StatusCode);
    }

    [Fact]
    public async Task A_chunked_body_over_the_limit_gets_413()
    {
        await using var gateway = await GatewayFixture.StartAsync(maxRequestBytes: 64 * 1024);
        var client = gateway.AliceClient();
        var content = new StreamContent(new MemoryStream(new byte[200 * 1024]));
        content.Headers.ContentType = new("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Put, "api/v1/namespaces/_/actions/big") { Content = content };
        request.Headers.TransferEncodingChunked = true;
        using var response = await client.SendAsync(request);
        await GatewayFixture.AssertErrorAsync(response, HttpStatusCode.RequestEntityTooLarge);
    }
}
