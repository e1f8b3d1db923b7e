using System.Text;
using System.Text.Json;
using Carapace.Gateway.Tests.Support;
using Microsoft.Extensions.Logging;

namespace Carapace.Gateway.Tests.Http;

/// <summary>Clients that send too slowly or send what is not HTTP, over real TLS connections to a real Kestrel.</summary>
public sealed class SlowClientTests
{
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_stalled_body_is_answered_408_with_OpenWhisk_error_json_and_logged_as_one_line_without_a_stack_trace()
    {
        var logs = new LogCapture();
        await using var gateway = await GatewayFixture.StartAsync(minRequestBodyGracePeriod: TimeSpan.FromSeconds(2), loggers: logs);
        await using var client = await RawClient.ConnectAsync(gateway);

        await client.SendAsync(Head("PUT", "/api/v1/namespaces/_/actions/slow", gateway.Alice.Auth, "Content-Type: application/json\r\nContent-Length: 1000\r\n")
            + "\r\n{\"exec\": ");
        var response = await client.ReadToCloseAsync(s_wait);

        Assert.True(408 == response.Status, response.Raw + "\n" + string.Join("\n", logs.Entries.Select(e => $"{e.Category} {e.Level} {e.Message} {e.Exception}")));
        var body = JsonDocument.Parse(response.Body).RootElement;
        Assert.Contains("arrived too slowly", body.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal(response.Headers["X-Request-ID"], body.GetProperty("code").GetString());
        Assert.Null(gateway.Host.Registry.Get(Carapace.Controller.Registry.ActionName.Of("alice", "slow")));
        AssertNoStackTraces(logs);
        Assert.Single(logs.Entries, e => e.Category == "Carapace.Gateway" && e.Message.Contains("refused with 408", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Headers_that_never_end_are_answered_408_and_logged_without_a_stack_trace()
    {
        var logs = new LogCapture();
        await using var gateway = await GatewayFixture.StartAsync(requestHeadersTimeout: TimeSpan.FromSeconds(2), loggers: logs);
        await using var client = await RawClient.ConnectAsync(gateway);

        await client.SendAsync("GET /api/v1/namespaces HTTP/1.1\r\nHost: 127.0.0.1\r\n");
        var response = await client.ReadToCloseAsync(s_wait);

        Assert.Equal(408, response.Status);
        AssertNoStackTraces(logs);
    }

    [Theory]
    [InlineData("GARBAGE\r\n\r\n", 400)]
    [InlineData("GET /api/v1/namespaces HTTP/1.2\r\nHost: 127.0.0.1\r\n\r\n", 505)]
    [InlineData("GET /api/v1/namespaces HTTP/1.1\r\nHost: 127.0.0.1\r\nBad Header\r\n\r\n", 400)]
    public async Task Requests_that_are_not_HTTP_are_refused_with_their_status_and_no_stack_trace(string request, int status)
    {
        var logs = new LogCapture();
        await using var gateway = await GatewayFixture.StartAsync(loggers: logs);
        await using var client = await RawClient.ConnectAsync(gateway);

        await client.SendAsync(request);
        var response = await client.ReadToCloseAsync(s_wait);

        Assert.Equal(status, response.Status);
        AssertNoStackTraces(logs);
    }

    [Theory]
    [InlineData(40 * 1024, true)]
    [InlineData(100 * 1024, false)]
    public async Task Headers_over_the_limit_are_refused_with_431_and_a_json_body_up_to_Kestrels_own_limit(int size, bool json)
    {
        var logs = new LogCapture();
        await using var gateway = await GatewayFixture.StartAsync(loggers: logs);
        await using var client = await RawClient.ConnectAsync(gateway);

        await client.SendAsync(Head("GET", "/api/v1/namespaces", gateway.Alice.Auth, $"Connection: close\r\nX-Big: {new string('a', size)}\r\n") + "\r\n");
        var response = await client.ReadToCloseAsync(s_wait);

        Assert.Equal(431, response.Status);
        if (json)
        {
            var body = JsonDocument.Parse(response.Body).RootElement;
            Assert.Contains("the limits are 100 headers and 32768 bytes", body.GetProperty("error").GetString(), StringComparison.Ordinal);
            Assert.Equal(response.Headers["X-Request-ID"], body.GetProperty("code").GetString());
        }
        else
        {
            // Beyond Kestrel's own limit (twice the gateway's) Kestrel answers before the gateway runs: no body (docs/api.md).
            Assert.Equal("0", response.Headers["Content-Length"]);
        }

        AssertNoStackTraces(logs);
    }

    [Fact]
    public async Task A_request_line_over_the_limit_is_refused_with_414_and_a_json_body()
    {
        await using var gateway = await GatewayFixture.StartAsync();
        await using var client = await RawClient.ConnectAsync(gateway);

        await client.SendAsync(Head("GET", "/api/v1/namespaces/_/actions?x=" + new string('a', 10 * 1024), gateway.Alice.Auth, "Connection: close\r\n") + "\r\n");
        var response = await client.ReadToCloseAsync(s_wait);

        Assert.Equal(414, response.Status);
        Assert.Contains("the limit is 8192", JsonDocument.Parse(response.Body).RootElement.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_body_cut_short_is_answered_400_with_OpenWhisk_error_json()
    {
        var logs = new LogCapture();
        await using var gateway = await GatewayFixture.StartAsync(loggers: logs);
        await using var client = await RawClient.ConnectAsync(gateway);

        // A chunked body whose chunk size is not hexadecimal.
        await client.SendAsync(Head("PUT", "/api/v1/namespaces/_/actions/bad", gateway.Alice.Auth, "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n")
            + "\r\nzz\r\n{}\r\n0\r\n\r\n");
        var response = await client.ReadToCloseAsync(s_wait);

        Assert.Equal(400, response.Status);
        Assert.Contains("malformed", JsonDocument.Parse(response.Body).RootElement.GetProperty("error").GetString(), StringComparison.Ordinal);
        AssertNoStackTraces(logs);
    }

    private static string Head(string method, string path, string auth, string headers) =>
        $"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Basic {Convert.ToBase64String(Encoding.UTF8.GetBytes(auth))}\r\n{headers}";

    private static void AssertNoStackTraces(LogCapture logs)
    {
        Assert.All(logs.Entries, e =>
        {
            Assert.Null(e.Exception);
            Assert.DoesNotContain("   at ", e.Message, StringComparison.Ordinal);
        });
        Assert.DoesNotContain(logs.Entries, e => e.Level >= LogLevel.Error);
    }
}
