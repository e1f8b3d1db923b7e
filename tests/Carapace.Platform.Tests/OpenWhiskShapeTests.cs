using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Carapace.Platform.Tests;

/// <summary>
/// The JSON an OpenWhisk client sends and expects, after the examples of OpenWhisk's REST API documentation
/// (docs/rest_api.md: create an action with PUT, invoke it with blocking=true and with result=true), against the real
/// platform with a plaintext action, which is where plain OpenWhisk clients live.
/// </summary>
public sealed class OpenWhiskShapeTests : IAsyncLifetime
{
    private PlatformFixture _platform = null!;

    public async Task InitializeAsync() => _platform = await PlatformFixture.StartAsync();

    public async Task DisposeAsync() => await _platform.DisposeAsync();

    [Fact]
    public async Task Create_invoke_blocking_and_result_only_answer_in_openwhisk_shapes()
    {
        var client = _platform.Client();

        // As in the documentation: namespace and name in the body too, "_" for the caller's namespace.
        var module = Convert.ToBase64String(await File.ReadAllBytesAsync(RepoPaths.Example("hello")));
        using var created = await client.PutAsync("api/v1/namespaces/_/actions/hello?overwrite=true", new StringContent(
            $$"""{"namespace":"_","name":"hello","exec":{"kind":"wasm:wasi","code":"{{module}}"},"annotations":[{"key":"confidential","value":false}]}""",
            System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, created.StatusCode);
        var action = JsonNode.Parse(await created.Content.ReadAsStringAsync())!.AsObject();
        foreach (var key in new[] { "namespace", "name", "version", "exec", "limits", "annotations", "parameters", "publish" })
        {
            Assert.True(action.ContainsKey(key), $"the action lacks '{key}': {action}");
        }

        Assert.Equal("0.0.1", action["version"]!.GetValue<string>());

        using var blocking = await client.PostAsync("api/v1/namespaces/_/actions/hello?blocking=true", JsonContent.Create(new { name = "John" }));
        Assert.Equal(HttpStatusCode.OK, blocking.StatusCode);
        Assert.Equal("application/json", blocking.Content.Headers.ContentType?.MediaType);
        using var activation = JsonDocument.Parse(await blocking.Content.ReadAsStringAsync());
        var root = activation.RootElement;

        // Every field of the documented activation, with its JSON type.
        Assert.Equal(JsonValueKind.Number, root.GetProperty("duration").ValueKind);
        Assert.Equal("hello", root.GetProperty("name").GetString());
        Assert.Equal(PlatformFixture.Namespace, root.GetProperty("subject").GetString());
        Assert.Matches("^[0-9a-f]{32}$", root.GetProperty("activationId").GetString());
        Assert.False(root.GetProperty("publish").GetBoolean());
        Assert.Equal("0.0.1", root.GetProperty("version").GetString());
        Assert.Equal(PlatformFixture.Namespace, root.GetProperty("namespace").GetString());
        Assert.Equal(JsonValueKind.Array, root.GetProperty("logs").ValueKind);
        var start = root.GetProperty("start").GetInt64();
        var end = root.GetProperty("end").GetInt64();
        Assert.True(end >= start);
        Assert.Equal(end - start, root.GetProperty("duration").GetInt64());

        var annotations = root.GetProperty("annotations").EnumerateArray().ToDictionary(a => a.GetProperty("key").GetString()!, a => a.GetProperty("value"));
        Assert.Equal(60_000, annotations["limits"].GetProperty("timeout").GetInt32());
        Assert.Equal(256, annotations["limits"].GetProperty("memory").GetInt32());
        Assert.Equal($"{PlatformFixture.Namespace}/hello", annotations["path"].GetString());
        Assert.Equal("wasm:wasi", annotations["kind"].GetString());
        Assert.Equal(JsonValueKind.Number, annotations["waitTime"].ValueKind);
        Assert.Equal(JsonValueKind.Number, annotations["initTime"].ValueKind); // the first invocation is a cold start

        var response = root.GetProperty("response");
        Assert.True(response.GetProperty("success").GetBoolean());
        Assert.Equal("success", response.GetProperty("status").GetString());
        Assert.Equal("JOHN", response.GetProperty("result").GetProperty("NAME").GetString());

        // result=true: only response.result.
        using var resultOnly = await client.PostAsync("api/v1/namespaces/_/actions/hello?blocking=true&result=true", JsonContent.Create(new { name = "Jane" }));
        Assert.Equal(HttpStatusCode.OK, resultOnly.StatusCode);
        Assert.Equal("""{"NAME":"JANE"}""", (await resultOnly.Content.ReadAsStringAsync()).Trim());

        // A warm invocation has no initTime; the activation can be fetched again by id.
        using var warm = await client.PostAsync("api/v1/namespaces/_/actions/hello?blocking=true", JsonContent.Create(new { name = "Ann" }));
        using var warmJson = JsonDocument.Parse(await warm.Content.ReadAsStringAsync());
        Assert.DoesNotContain(warmJson.RootElement.GetProperty("annotations").EnumerateArray(), a => a.GetProperty("key").GetString() == "initTime");
        var id = warmJson.RootElement.GetProperty("activationId").GetString();
        using var fetched = await client.GetAsync($"api/v1/namespaces/_/activations/{id}");
        Assert.Equal(HttpStatusCode.OK, fetched.StatusCode);
        using var fetchedJson = JsonDocument.Parse(await fetched.Content.ReadAsStringAsync());
        Assert.Equal("ANN", fetchedJson.RootElement.GetProperty("response").GetProperty("result").GetProperty("NAME").GetString());
    }
}
