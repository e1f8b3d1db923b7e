using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Carapace.Envelope.Format;
using Carapace.Envelope.Sealing;
using Carapace.Gateway;

namespace Carapace.Platform.Tests.Kms;

/// <summary>
/// Confidential invocations while the KMS is away: warm enclaves keep serving; one that needs a new enclave is a
/// recorded failure answered 503 with <c>Retry-After</c> — at once when the platform knows the KMS is restarting, and as
/// soon as the enclave finds it unreachable otherwise — never a hang or a generic 502.
/// </summary>
public sealed class KmsOutageTests
{
    private const string EnvelopeType = "application/vnd.carapace.envelope";

    [Fact]
    public async Task A_new_enclave_that_cannot_reach_the_kms_is_a_recorded_503_with_retry_after_while_a_warm_one_keeps_serving()
    {
        await using var platform = await PlatformFixture.StartAsync();
        await platform.DeployAsync("warm", "hello");
        await platform.DeployAsync("cold", "hello");
        using var warmKeys = await platform.ChainKeysAsync("warm");
        using var coldKeys = await platform.ChainKeysAsync("cold");
        var client = platform.Client();
        using (var first = await client.PostAsync("api/v1/namespaces/_/actions/warm?blocking=true&result=true", Sealed(warmKeys, "before")))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }

        await platform.Kms.DisposeAsync();

        using var warm = await client.PostAsync("api/v1/namespaces/_/actions/warm?blocking=true&result=true", Sealed(warmKeys, "during"));
        using var cold = await client.PostAsync("api/v1/namespaces/_/actions/cold?blocking=true", Sealed(coldKeys, "during"));

        Assert.Equal(HttpStatusCode.OK, warm.StatusCode);
        Assert.Equal("false", warm.Headers.GetValues("Carapace-Cold").Single());
        await AssertUnavailableAsync(client, cold);
    }

    [Fact]
    public async Task While_the_kms_is_restarting_a_new_enclave_is_refused_at_once_without_taking_a_stem_cell_and_info_reports_it()
    {
        await using var platform = await PlatformFixture.StartAsync(supervision: new Platform.Kms.KmsSupervisionOptions());
        await platform.DeployAsync("hello", "hello");
        using var keys = await platform.ChainKeysAsync("hello");
        var client = platform.Client();
        var health = platform.KmsHealth!;
        Assert.True(await platform.Host.StemCells.WaitUntilFullAsync(TimeSpan.FromSeconds(60)));
        var taken = platform.Host.StemCells.PrewarmedTakes + platform.Host.StemCells.ColdStarts;

        health.Lost("was killed by signal 9 (pid 4242)");
        using var refused = await client.PostAsync("api/v1/namespaces/_/actions/hello?blocking=true", Sealed(keys, "during"));
        using var during = JsonDocument.Parse(await client.GetStringAsync("api/v1/carapace/info"));

        var activation = await AssertUnavailableAsync(client, refused);
        Assert.Contains("was killed by signal 9 (pid 4242)", activation.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal(taken, platform.Host.StemCells.PrewarmedTakes + platform.Host.StemCells.ColdStarts);
        var kms = during.RootElement.GetProperty("kms");
        Assert.Equal(platform.Kms.Endpoint.AbsoluteUri, kms.GetProperty("url").GetString());
        var report = kms.GetProperty("health");
        Assert.Equal("restarting", report.GetProperty("state").GetString());
        Assert.Equal(0, report.GetProperty("restarts").GetInt32());
        Assert.Equal("was killed by signal 9 (pid 4242)", report.GetProperty("lastError").GetString());
        Assert.True(report.GetProperty("retryAfter").GetInt32() >= 1);
        Assert.Equal(1, during.RootElement.GetProperty("stemCells").GetProperty("target").GetInt32());

        // Back up: the same request shape runs again, and the report counts the restart.
        health.Restarted(health.Advertisement);
        using var served = await client.PostAsync("api/v1/namespaces/_/actions/hello?blocking=true&result=true", Sealed(keys, "after"));
        using var after = JsonDocument.Parse(await client.GetStringAsync("api/v1/carapace/info"));

        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        var back = after.RootElement.GetProperty("kms").GetProperty("health");
        Assert.Equal("up", back.GetProperty("state").GetString());
        Assert.Equal(1, back.GetProperty("restarts").GetInt32());
        Assert.Equal(JsonValueKind.Null, back.GetProperty("retryAfter").ValueKind);
    }

    [Fact]
    public async Task An_enclave_due_for_recycling_keeps_serving_while_the_kms_is_down_and_is_recycled_once_it_is_back()
    {
        await using var platform = await PlatformFixture.StartAsync(maxEnclavesPerAction: 1, maxInvocationsPerEnclave: 2,
            supervision: new Platform.Kms.KmsSupervisionOptions());
        await platform.DeployAsync("hello", "hello");
        using var keys = await platform.ChainKeysAsync("hello");
        var client = platform.Client();
        var health = platform.KmsHealth!;
        using (var cold = await client.PostAsync("api/v1/namespaces/_/actions/hello?blocking=true&result=true", Sealed(keys, "first")))
        {
            Assert.Equal("true", cold.Headers.GetValues("Carapace-Cold").Single());
        }

        health.Lost("exited with code 1 (pid 7)");
        var during = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            using var warm = await client.PostAsync("api/v1/namespaces/_/actions/hello?blocking=true&result=true", Sealed(keys, "during"));
            Assert.Equal(HttpStatusCode.OK, warm.StatusCode);
            during.Add(warm.Headers.GetValues("Carapace-Cold").Single());
        }

        // Back up: the over-quota enclave serves the invocation it holds, is recycled after it, and a new one takes over.
        health.Restarted(health.Advertisement);
        using (var last = await client.PostAsync("api/v1/namespaces/_/actions/hello?blocking=true&result=true", Sealed(keys, "after")))
        {
            Assert.Equal(HttpStatusCode.OK, last.StatusCode);
            Assert.Equal("false", last.Headers.GetValues("Carapace-Cold").Single());
        }

        using (var replaced = await client.PostAsync("api/v1/namespaces/_/actions/hello?blocking=true&result=true", Sealed(keys, "after")))
        {
            Assert.Equal(HttpStatusCode.OK, replaced.StatusCode);
            Assert.Equal("true", replaced.Headers.GetValues("Carapace-Cold").Single());
        }

        Assert.Equal(["false", "false", "false"], during);
    }

    /// <summary>Checks a 503 answer (Retry-After, a message naming the KMS, the activation id) and the failure it recorded; returns the error body.</summary>
    private static async Task<JsonElement> AssertUnavailableAsync(HttpClient client, HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        var retryAfter = int.Parse(response.Headers.GetValues("Retry-After").Single(), CultureInfo.InvariantCulture);
        Assert.InRange(retryAfter, 1, 60);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var error = body.RootElement.GetProperty("error").GetString()!;
        Assert.Contains("could not start", error, StringComparison.Ordinal);
        Assert.Contains("the KMS is unavailable", error, StringComparison.Ordinal);
        Assert.Contains("nothing ran", error, StringComparison.Ordinal);
        Assert.False(string.IsNullOrEmpty(body.RootElement.GetProperty("code").GetString()));
        var id = response.Headers.GetValues("Carapace-Activation-Id").Single();
        Assert.Equal(id, body.RootElement.GetProperty("activationId").GetString());

        using var record = JsonDocument.Parse(await client.GetStringAsync($"api/v1/namespaces/_/activations/{id}"));
        var recorded = record.RootElement.GetProperty("response");
        Assert.Equal("whisk internal error", recorded.GetProperty("status").GetString());
        Assert.False(recorded.GetProperty("success").GetBoolean());
        Assert.Equal(error, recorded.GetProperty("result").GetProperty("error").GetString());
        Assert.True(record.RootElement.GetProperty("end").GetInt64() >= record.RootElement.GetProperty("start").GetInt64());
        return body.RootElement.Clone();
    }

    private static ByteArrayContent Sealed(ChainKeySet keys, string text)
    {
        var content = new ByteArrayContent(EnvelopeSealer.Seal(keys.Entry, Encoding.UTF8.GetBytes(text),
            new SealOptions { Function = keys.Chain, RequestId = RequestId.New() }));
        content.Headers.ContentType = new MediaTypeHeaderValue(EnvelopeType);
        return content;
    }
}
