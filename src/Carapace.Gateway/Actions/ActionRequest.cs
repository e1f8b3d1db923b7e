using System.Text.Json;
using Carapace.Controller;
using Carapace.Controller.Registry;
using Carapace.Functions.Images;

namespace Carapace.Gateway.Actions;

/// <summary>
/// Turns the JSON body of <c>PUT /actions/{name}</c> into an <see cref="ActionDefinition"/>, reporting every problem
/// at once. Accepts OpenWhisk's fields (<c>exec</c>, <c>limits</c>, <c>annotations</c>, <c>parameters</c>,
/// <c>publish</c>), Carapace's <c>exec.image</c>, and ignores the ones OpenWhisk clients echo back (<c>namespace</c>, <c>name</c>, <c>version</c>).
/// </summary>
internal static class ActionRequest
{
    /// <summary>How a string that does not decode is described: JSON may escape a lone surrogate, which is no text.</summary>
    private const string NotText = "not valid Unicode (it escapes a lone surrogate such as '\\ud800').";

    private static readonly System.Buffers.SearchValues<char> s_base64Characters =
        System.Buffers.SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=\r\n");

    /// <summary>The only <c>limits.logs</c> value (MB) the platform has: logs are sealed blobs of bounded size.</summary>
    public const int LogsLimitMb = ActionLimits.LogsMb;

    /// <summary>The only <c>limits.concurrency</c>: one activation per enclave at a time.</summary>
    public const int Concurrency = ActionLimits.Concurrency;

    /// <summary>
    /// The definition in <paramref name="root"/>, or null with every problem in <paramref name="errors"/>. Never throws
    /// for any JSON: a string escaping a lone surrogate (<c>"\ud800"</c>), which no .NET string can hold, is a problem too.
    /// </summary>
    public static ActionDefinition? Parse(JsonElement root, string caller, ActionLimits? existingLimits, List<string> errors)
    {
        try
        {
            return ParseBody(root, caller, existingLimits, errors);
        }
        catch (InvalidOperationException)
        {
            errors.Add($"The body contains a string that is {NotText}");
            return null;
        }
    }

    private static ActionDefinition? ParseBody(JsonElement root, string caller, ActionLimits? existingLimits, List<string> errors)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            errors.Add("The body must be a JSON object with 'exec' and optionally 'limits', 'annotations', 'parameters' and 'publish'.");
            return null;
        }

        var exec = root.TryGetProperty("exec", out var execJson) ? ParseExec(execJson, caller, errors) : null;
        var limits = root.TryGetProperty("limits", out var limitsJson) ? ParseLimits(limitsJson, existingLimits, errors) : null;
        var annotations = root.TryGetProperty("annotations", out var annotationsJson) ? ParseKeyValues(annotationsJson, "annotations", errors) : null;
        var parameters = root.TryGetProperty("parameters", out var parametersJson) ? ParseKeyValues(parametersJson, "parameters", errors) : null;
        bool? publish = null;
        if (root.TryGetProperty("publish", out var publishJson))
        {
            if (publishJson.ValueKind is JsonValueKind.True or JsonValueKind.False)
            {
                publish = publishJson.GetBoolean();
            }
            else
            {
                errors.Add("'publish' must be true or false.");
            }
        }

        bool? confidential = null;
        if (annotations is not null)
        {
            foreach (var annotation in annotations.Where(a => a.Key == ActionJson.ConfidentialAnnotation))
            {
                if (annotation.Value.ValueKind is JsonValueKind.True or JsonValueKind.False)
                {
                    confidential = annotation.Value.GetBoolean();
                }
                else
                {
                    errors.Add("The 'confidential' annotation must be true or false.");
                }
            }

            // Computed on output from the stored kind and flag; a client's copy is not stored.
            annotations = [.. annotations.Where(a => a.Key is not (ActionJson.ExecAnnotation or ActionJson.ConfidentialAnnotation))];
        }

        return errors.Count > 0 ? null : new ActionDefinition
        {
            Exec = exec,
            Limits = limits,
            Annotations = annotations,
            Parameters = parameters,
            Confidential = confidential,
            Publish = publish,
        };
    }

    private static ActionExec? ParseExec(JsonElement exec, string caller, List<string> errors)
    {
        if (exec.ValueKind != JsonValueKind.Object)
        {
            errors.Add("'exec' must be an object with a 'kind'.");
            return null;
        }

        string? kind = null;
        if (exec.TryGetProperty("kind", out var kindJson) && !TryGetString(kindJson, out kind))
        {
            errors.Add(kindJson.ValueKind == JsonValueKind.String
                ? $"'exec.kind' is {NotText} It must be 'wasm:wasi', 'nodejs:default' or 'sequence'."
                : "'exec.kind' must be a string: 'wasm:wasi', 'nodejs:default' or 'sequence'.");
            return null;
        }

        switch (kind)
        {
            case ActionKinds.Wasm:
                if (!exec.TryGetProperty("code", out var code) || code.ValueKind != JsonValueKind.String)
                {
                    errors.Add("'exec.code' must be the base64 of a WebAssembly module.");
                    return null;
                }

                byte[] module;
                try
                {
                    module = code.GetBytesFromBase64();
                }
                catch (FormatException)
                {
                    errors.Add("'exec.code' is not valid base64; send the module's bytes base64-encoded.");
                    return null;
                }

                if (!exec.TryGetProperty("image", out var image) || image.ValueKind == JsonValueKind.Null)
                {
                    return ActionExec.Wasm(module);
                }

                return ParseImage(image, errors) is { } upload ? ActionExec.Wasm(module, upload) : null;

            case { } nodejs when ActionKinds.IsNodeJs(nodejs):
                return ParseJavaScript(nodejs, exec, errors);

            case ActionKinds.Sequence:
                if (!exec.TryGetProperty("components", out var components) || components.ValueKind != JsonValueKind.Array)
                {
                    errors.Add("'exec.components' must be an array of fully qualified action names (/namespace/name).");
                    return null;
                }

                var names = new List<string>();
                foreach (var component in components.EnumerateArray().Take(ActionExec.MaxSequenceComponents + 1))
                {
                    if (!TryGetString(component, out var text))
                    {
                        errors.Add(component.ValueKind == JsonValueKind.String
                            ? $"'exec.components' holds a name that is {NotText}"
                            : "'exec.components' must be an array of fully qualified action names (/namespace/name), as strings.");
                        return null;
                    }

                    // "/_/name" means the caller's namespace, as everywhere in the API.
                    names.Add(text.StartsWith("/_/", StringComparison.Ordinal) ? "/" + caller + text[2..] : text);
                }

                if (components.GetArrayLength() > ActionExec.MaxSequenceComponents)
                {
                    errors.Add($"'exec.components' has {components.GetArrayLength()} entries; a sequence has at most {ActionExec.MaxSequenceComponents}.");
                    return null;
                }

                return ActionExec.Sequence(names);

            case null:
                errors.Add("'exec.kind' is missing; use 'wasm:wasi', 'nodejs:default' or 'sequence'.");
                return null;

            default:
                errors.Add($"'exec.kind' {KeyValueRules.Quote(kind)} is not a kind this build supports; use '{ActionKinds.Wasm}', '{ActionKinds.NodeJsDefault}' (or 'nodejs:N') or '{ActionKinds.Sequence}'.");
                return null;
        }
    }

    /// <summary>
    /// Whether <paramref name="code"/> is base64 whose bytes start as a zip archive does (<c>PK\x03\x04</c>, base64
    /// <c>UEsDB</c>) and holds nothing but base64: no JavaScript source is that.
    /// </summary>
    private static bool LooksLikeZip(string code)
    {
        var text = code.AsSpan().Trim();
        return text.StartsWith("UEsDB", StringComparison.Ordinal)
            && !text.ContainsAnyExcept(s_base64Characters);
    }

    /// <summary>
    /// A JavaScript action (OpenWhisk's <c>nodejs</c> kinds): <c>exec.code</c> is the source as text, <c>exec.main</c>
    /// the entry function (default <c>main</c>), <c>exec.image</c> optional as for modules (it carries sealed source).
    /// OpenWhisk's <c>binary: true</c> (a zip of a Node.js package) is refused: there is no file system or npm.
    /// </summary>
    private static ActionExec? ParseJavaScript(string kind, JsonElement exec, List<string> errors)
    {
        if (exec.TryGetProperty("binary", out var binary) && binary.ValueKind == JsonValueKind.True)
        {
            errors.Add("'exec.binary' is true: a zipped Node.js package cannot run here; send the action's JavaScript source as text in 'exec.code'.");
            return null;
        }

        if (!exec.TryGetProperty("code", out var code) || !TryGetString(code, out var source))
        {
            errors.Add("'exec.code' must be the action's JavaScript source, as a string.");
            return null;
        }

        if (LooksLikeZip(source))
        {
            // OpenWhisk's clients send a zipped package as base64, sometimes without binary: true; as source it would
            // only fail at its first invocation with a syntax error.
            errors.Add("'exec.code' is the base64 of a zip archive (a zipped Node.js package), which cannot run here; send the action's JavaScript source as text.");
            return null;
        }

        var main = "main";
        if (exec.TryGetProperty("main", out var mainJson) && mainJson.ValueKind != JsonValueKind.Null)
        {
            if (!TryGetString(mainJson, out var name) || !Functions.FunctionManifest.IsJavaScriptName(name))
            {
                errors.Add($"'exec.main' must name the entry function: a JavaScript identifier of at most {Functions.FunctionManifest.MaxMainBytes} characters (ASCII letters, digits, _ and $, not starting with a digit).");
                return null;
            }

            main = name;
        }

        var bytes = System.Text.Encoding.UTF8.GetBytes(source);
        if (!exec.TryGetProperty("image", out var image) || image.ValueKind == JsonValueKind.Null)
        {
            return ActionExec.JavaScript(kind, bytes, main);
        }

        return ParseImage(image, errors) is { } upload ? ActionExec.JavaScript(kind, bytes, main, upload) : null;
    }

    /// <summary>
    /// <c>exec.image</c>: the base64 of a file-system image from <c>carapace pack</c>. Its public header (no key needed)
    /// gives the id and Merkle root the registry records and the function's measurement covers; the contents stay encrypted.
    /// </summary>
    private static ActionImageUpload? ParseImage(JsonElement image, List<string> errors)
    {
        if (image.ValueKind != JsonValueKind.String)
        {
            errors.Add("'exec.image' must be the base64 of a file-system image made by 'carapace pack'.");
            return null;
        }

        byte[] bytes;
        try
        {
            bytes = image.GetBytesFromBase64();
        }
        catch (FormatException)
        {
            errors.Add("'exec.image' is not valid base64; send the image file's bytes base64-encoded.");
            return null;
        }

        if (bytes.Length > ActionExec.MaxImageBytes)
        {
            errors.Add($"'exec.image' is {bytes.Length} bytes; the limit is {ActionExec.MaxImageBytes} bytes.");
            return null;
        }

        try
        {
            using var stream = new MemoryStream(bytes, writable: false);
            var header = ImageHeader.Read(stream);
            return new ActionImageUpload(bytes, header.ImageIdHex, header.RootHex);
        }
        catch (ImageFormatException e)
        {
            errors.Add($"'exec.image' is not a usable file-system image: {e.Message}.");
            return null;
        }
    }

    private static ActionLimits? ParseLimits(JsonElement limits, ActionLimits? existing, List<string> errors)
    {
        if (limits.ValueKind != JsonValueKind.Object)
        {
            errors.Add("'limits' must be an object with 'memory' (MB) and 'timeout' (ms).");
            return null;
        }

        var fallback = existing ?? ActionLimits.Default;
        var memory = Int(limits, "memory", fallback.MemoryMiB, errors);
        var timeout = Int(limits, "timeout", fallback.TimeoutMs, errors);
        if (Int(limits, "logs", LogsLimitMb, errors) != LogsLimitMb)
        {
            errors.Add($"'limits.logs' can only be {LogsLimitMb} (MB) on this platform.");
        }

        if (Int(limits, "concurrency", Concurrency, errors) != Concurrency)
        {
            errors.Add($"'limits.concurrency' can only be {Concurrency}: an enclave runs one activation at a time.");
        }

        var result = new ActionLimits(memory, timeout);
        errors.AddRange(result.Validate());
        return result;
    }

    private static int Int(JsonElement parent, string name, int fallback, List<string> errors)
    {
        if (!parent.TryGetProperty(name, out var value))
        {
            return fallback;
        }

        if (value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var number))
        {
            return number;
        }

        errors.Add($"'limits.{name}' must be an integer.");
        return fallback;
    }

    /// <summary>The string in <paramref name="element"/>; false when it is not a string or does not decode (an escaped lone surrogate).</summary>
    internal static bool TryGetString(JsonElement element, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? text)
    {
        text = null;
        if (element.ValueKind != JsonValueKind.String)
        {
            return false;
        }

        try
        {
            text = element.GetString()!;
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    internal static List<KeyValue>? ParseKeyValues(JsonElement array, string field, List<string> errors)
    {
        if (array.ValueKind != JsonValueKind.Array)
        {
            errors.Add($"'{field}' must be an array of {{\"key\": ..., \"value\": ...}} objects.");
            return null;
        }

        if (array.GetArrayLength() > KeyValueRules.MaxEntries)
        {
            errors.Add($"'{field}' has {array.GetArrayLength()} entries; at most {KeyValueRules.MaxEntries} are accepted.");
            return null;
        }

        var entries = new List<KeyValue>();
        foreach (var entry in array.EnumerateArray())
        {
            if (entry.ValueKind != JsonValueKind.Object
                || !entry.TryGetProperty("key", out var key) || key.ValueKind != JsonValueKind.String
                || !entry.TryGetProperty("value", out var value))
            {
                errors.Add($"Every entry of '{field}' must be an object with a string 'key' and a 'value'.");
                return null;
            }

            if (!TryGetString(key, out var text))
            {
                errors.Add($"'{field}' has a key that is {NotText}");
                return null;
            }

            entries.Add(new KeyValue(text, value.Clone()));
        }

        return entries;
    }
}
