using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Carapace.Platform.Tests;

/// <summary>Plaintext actions and key/value lists as OpenWhisk clients send them, for the packages and triggers tests.</summary>
internal static class PlatformEntities
{
    /// <summary>Deploys the <c>echo</c> example as plaintext action <paramref name="name"/> (<c>package/name</c> for one in a package).</summary>
    public static async Task DeployEchoAsync(HttpClient client, string name, JsonObject? parameters = null)
    {
        var body = new JsonObject
        {
            ["exec"] = new JsonObject { ["kind"] = "wasm:wasi", ["code"] = Convert.ToBase64String(await File.ReadAllBytesAsync(RepoPaths.Example("echo"))) },
            ["limits"] = new JsonObject { ["memory"] = 128, ["timeout"] = 5_000 },
            ["annotations"] = new JsonArray { new JsonObject { ["key"] = "confidential", ["value"] = false } },
            ["parameters"] = KeyValues(parameters ?? []),
        };
        using var response = await client.PutAsync($"api/v1/namespaces/_/actions/{name}?overwrite=true", JsonContent.Create(body));
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    public static JsonArray KeyValues(JsonObject values) =>
        new([.. values.Select(p => (JsonNode)new JsonObject { ["key"] = p.Key, ["value"] = p.Value?.DeepClone() })]);
}
