using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Carapace.Controller;
using Carapace.Controller.Registry;
using Carapace.Envelope.Sealing;

namespace Carapace.Platform.Tests;

/// <summary>
/// Actions stored before their fields were checked (written here straight into the registry, as an older version
/// would have) whose environment no enclave could use: invoking them is the deployer's error, recorded and explained,
/// never a 500 or an enclave taken down.
/// </summary>
public sealed class LegacyDefinitionTests
{
    [Fact]
    public async Task A_confidential_action_with_a_NUL_in_its_environment_is_a_recorded_developer_error_naming_the_annotation()
    {
        await using var platform = await PlatformFixture.StartAsync();
        await platform.DeployAsync("hello", "hello");
        Corrupt(platform, "hello", new Dictionary<string, string> { ["MODE"] = "a\0b" });
        using var keys = await platform.ChainKeysAsync("hello");
        var client = platform.Client();
        var content = new ByteArrayContent(EnvelopeSealer.Seal(keys.Entry, "hi"u8, new SealOptions { Function = "hello" }));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/vnd.carapace.envelope");

        using var response = await client.PostAsync("api/v1/namespaces/_/actions/hello?blocking=true", content);

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        var id = response.Headers.GetValues("Carapace-Activation-Id").Single();
        using var record = JsonDocument.Parse(await client.GetStringAsync($"api/v1/namespaces/_/activations/{id}"));
        var outcome = record.RootElement.GetProperty("response");
        Assert.True("action developer error" == outcome.GetProperty("status").GetString(), outcome.ToString());
        var error = outcome.GetProperty("result").GetProperty("error").GetString();
        Assert.Contains("'carapace.env': the value of 'MODE' contains a NUL character", error, StringComparison.Ordinal);
        Assert.Contains("overwrite=true", error, StringComparison.Ordinal);

        // The stem cells are untouched: a valid action still runs.
        await platform.DeployAsync("wordcount", "wordcount");
        using var countKeys = await platform.ChainKeysAsync("wordcount");
        var count = new ByteArrayContent(EnvelopeSealer.Seal(countKeys.Entry, "a b"u8, new SealOptions { Function = "wordcount" }));
        count.Headers.ContentType = new MediaTypeHeaderValue("application/vnd.carapace.envelope");
        using var counted = await client.PostAsync("api/v1/namespaces/_/actions/wordcount?blocking=true&result=true", count);
        Assert.Equal(HttpStatusCode.OK, counted.StatusCode);
    }

    [Fact]
    public async Task A_plaintext_action_whose_environment_is_not_an_object_is_refused_with_400_not_500()
    {
        await using var platform = await PlatformFixture.StartAsync();
        await platform.DeployAsync("shout", "hello", confidential: false);
        Corrupt(platform, "shout", "MODE=fast");

        using var response = await platform.Client().PostAsync("api/v1/namespaces/_/actions/shout?blocking=true&result=true",
            JsonContent.Create(new { text = "quiet" }));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Contains("'carapace.env' must be a JSON object of strings", body.RootElement.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    /// <summary>Replaces the action's <c>carapace.env</c> in the registry directly, bypassing the gateway's checks.</summary>
    private static void Corrupt<T>(PlatformFixture platform, string name, T env)
    {
        var action = ActionName.Of(PlatformFixture.Namespace, name);
        var annotations = platform.Host.Registry.Get(action)!.Annotations.Where(a => a.Key != "carapace.env").Append(KeyValue.Of("carapace.env", env)).ToList();
        var result = platform.Host.Registry.Put(action, new ActionDefinition { Annotations = annotations }, overwrite: true);
        Assert.True(result.Succeeded, result.Error);
    }
}
