using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Carapace.Gateway.Tests.Support;

/// <summary>Action bodies as OpenWhisk clients send them.</summary>
internal static class Bodies
{
    /// <summary>The smallest WASI command module: a memory and an empty <c>_start</c>.</summary>
    public static readonly byte[] Module = Wat("""(module (memory (export "memory") 1) (func (export "_start")))""");

    /// <summary>A module assembled from WebAssembly text.</summary>
    public static byte[] Wat(string text) => Wasmtime.Module.ConvertText(text);

    /// <summary><see cref="Module"/> grown to <paramref name="size"/> bytes with a custom section (still a valid command).</summary>
    public static byte[] ModuleOfSize(int size)
    {
        // A custom section: id 0, a 4-byte LEB128 size, the name "p", then filler up to the wanted total.
        var payload = size - Module.Length - 5;
        var section = new byte[5 + payload];
        var content = payload;
        section[0] = 0;
        for (var i = 1; i <= 4; i++)
        {
            section[i] = (byte)((content & 0x7F) | (i < 4 ? 0x80 : 0));
            content >>= 7;
        }

        section[5] = 1;
        section[6] = (byte)'p';
        return [.. Module, .. section];
    }

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
