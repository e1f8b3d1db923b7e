using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Carapace.Gateway.Tests.Support;

/// <summary>Action bodies as OpenWhisk clients send them.</summary>
internal static class Bodies
{
    /// <summary>The smallest valid WebAssembly module (magic and version).</summary>
    public static readonly byte[] Module = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];

    public static JsonContent Wasm(byte[]? module = null, JsonObject? limits = null, JsonArray? annotations = null, JsonArray? parameters = null)
    {
        var body = new JsonObject
        {
            ["exec"] = new JsonObject { ["kind"] = "wasm:wasi", ["code"] = Convert.ToBase64String(module ?? Module) },
        };
        if (limits is not null)
        {
            body["limits"] = limits;
        }

        if (annotations is not null)
        {
            body["annotations"] = annotations;
        }

        if (parameters is not null)
        {
            body["parameters"] = parameters;
        }

        return JsonContent.Create(body);
    }

    public static JsonContent Sequence(params string[] components) => JsonContent.Create(new JsonObject
    {
        ["exec"] = new JsonObject { ["kind"] = "sequence", ["components"] = new JsonArray([.. components.Select(c => (JsonNode)c)]) },
    });

    public static JsonContent Raw(JsonNode body) => JsonContent.Create(body);
}
