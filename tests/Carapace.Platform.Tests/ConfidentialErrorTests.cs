using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Carapace.Envelope.Sealing;

namespace Carapace.Platform.Tests;

/// <summary>
/// The documented rule for confidential actions (docs/api.md, "Confidential actions and application errors"): the
/// platform never looks into a sealed result, so only the exit code makes an application error, and the function's own
/// error object still reaches the client, sealed.
/// </summary>
public sealed class ConfidentialErrorTests : IAsyncLifetime
{
    private PlatformFixture _platform = null!;

    public async Task InitializeAsync() => _platform = await PlatformFixture.StartAsync();

    public async Task DisposeAsync() => await _platform.DisposeAsync();

    [Fact]
    public async Task An_error_field_inside_a_sealed_result_is_not_seen_and_the_activation_succeeds()
    {
        await _platform.DeployAsync("secret-echo", "echo");
        using var keys = await _platform.ChainKeysAsync("secret-echo");

        using var response = await _platform.Client().PostAsync("api/v1/namespaces/_/actions/secret-echo?blocking=true",
            Sealed(keys, """{"error":"only the client sees this"}"""));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain("only the client sees this", text, StringComparison.Ordinal);
        var result = JsonDocument.Parse(text).RootElement.GetProperty("response").GetProperty("result");
        Assert.False(result.TryGetProperty("error", out _));
        using var opened = EnvelopeOpener.Open(keys.Exit, Convert.FromBase64String(result.GetProperty("envelope").GetString()!));
        Assert.Equal("""{"error":"only the client sees this"}""", Encoding.UTF8.GetString(opened.Payload.Span));
    }

    [Fact]
    public async Task A_non_zero_exit_is_the_application_error_and_the_sealed_error_object_reaches_the_client()
    {
        await _platform.DeployAsync("secret-fail", "echo", env: new Dictionary<string, string> { ["ECHO_EXIT"] = "2" });
        using var keys = await _platform.ChainKeysAsync("secret-fail");

        using var response = await _platform.Client().PostAsync("api/v1/namespaces/_/actions/secret-fail?blocking=true&result=true",
            Sealed(keys, """{"error":{"code":7}}"""));

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        var result = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("the function exited with code 2", result.GetProperty("error").GetString());
        using var opened = EnvelopeOpener.Open(keys.Exit, Convert.FromBase64String(result.GetProperty("envelope").GetString()!));
        Assert.Equal("""{"error":{"code":7}}""", Encoding.UTF8.GetString(opened.Payload.Span));
    }

    private static ByteArrayContent Sealed(ChainKeySet keys, string text)
    {
        var content = new ByteArrayContent(EnvelopeSealer.Seal(keys.Entry, Encoding.UTF8.GetBytes(text), new SealOptions { Function = keys.Chain }));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/vnd.carapace.envelope");
        return content;
    }
}
