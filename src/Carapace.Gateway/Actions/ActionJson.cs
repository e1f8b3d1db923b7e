using System.Text.Json;
using System.Text.Json.Nodes;
using Carapace.Controller;
using Carapace.Controller.Registry;

namespace Carapace.Gateway.Actions;

/// <summary>
/// An action in OpenWhisk's JSON shape: <c>namespace</c>, <c>name</c>, <c>version</c>, <c>exec</c>,
/// <c>annotations</c> (with <c>exec</c> and Carapace's <c>confidential</c>), <c>parameters</c>,
/// <c>limits</c> {<c>timeout</c>, <c>memory</c>, <c>logs</c>, <c>concurrency</c>}, <c>publish</c>, <c>updated</c>.
/// </summary>
internal static class ActionJson
{
    public const string ExecAnnotation = "exec";
    public const string ConfidentialAnnotation = "confidential";

    /// <summary>
    /// The action; <paramref name="module"/> fills <c>exec.code</c> (base64) when given. An image is shown as
    /// <c>exec.image</c> {<c>sha256</c>, <c>size</c>, <c>id</c>, <c>root</c>}, never its bytes.
    /// </summary>
    public static JsonObject Render(ActionRecord action, ReadOnlySpan<byte> module, bool withCode)
    {
        var exec = new JsonObject { ["kind"] = action.Exec.Kind };
        if (action.Exec.IsSequence)
        {
            exec["components"] = new JsonArray([.. action.Exec.Components.Select(c => (JsonNode)c.ToString())]);
        }
        else
        {
            if (action.Exec.IsJavaScript)
            {
                // OpenWhisk's shape for JavaScript: the source as text, not binary, and the entry point.
                if (withCode)
                {
                    exec["code"] = System.Text.Encoding.UTF8.GetString(module);
                }

                exec["main"] = action.Exec.Main;
                exec["binary"] = false;
            }
            else
            {
                if (withCode)
                {
                    exec["code"] = Convert.ToBase64String(module);
                }

                exec["binary"] = true;
            }

            if (action.Exec.Image is { } image)
            {
                // Metadata only: the image's bytes are never sent back (PUT them again as base64 to change the image).
                exec["image"] = new JsonObject { ["sha256"] = image.Sha256, ["size"] = image.Size, ["id"] = image.Id, ["root"] = image.Root };
            }
        }

        var annotations = action.Annotations
            .Where(a => a.Key is not (ExecAnnotation or ConfidentialAnnotation))
            .Append(KeyValue.Of(ExecAnnotation, action.Exec.Kind))
            .Append(KeyValue.Of(ConfidentialAnnotation, action.Confidential));

        return new JsonObject
        {
            // An action in a package: OpenWhisk's namespace "ns/package" and its own name.
            ["namespace"] = action.Name.EntityPath,
            ["name"] = action.Name.Short,
            ["version"] = action.Version,
            ["exec"] = exec,
            ["annotations"] = KeyValues(annotations),
            ["parameters"] = KeyValues(action.Parameters),
            ["limits"] = new JsonObject
            {
                ["timeout"] = action.Limits.TimeoutMs,
                ["memory"] = action.Limits.MemoryMiB,
                ["logs"] = ActionRequest.LogsLimitMb,
                ["concurrency"] = ActionRequest.Concurrency,
            },
            ["publish"] = action.Publish,
            ["updated"] = action.Updated.ToUnixTimeMilliseconds(),
        };
    }

    public static JsonArray KeyValues(IEnumerable<KeyValue> entries) =>
        new([.. entries.Select(e => (JsonNode)new JsonObject { ["key"] = e.Key, ["value"] = Node(e.Value) })]);

    private static JsonNode? Node(JsonElement value) => value.ValueKind == JsonValueKind.Null ? null : JsonNode.Parse(value.GetRawText());
}
