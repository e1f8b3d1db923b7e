using System.Text.Json;

namespace Carapace.Client.Gateway;

/// <summary>
/// Reads the gateway's OpenWhisk-shaped JSON into the client's records. A missing or mistyped field throws
/// <see cref="FormatException"/> naming it; the caller turns that into a <see cref="GatewayFailure.BadResponse"/>.
/// </summary>
internal static class GatewayJson
{
    public static GatewayAction Action(JsonElement json)
    {
        var exec = Property(json, "exec", JsonValueKind.Object);
        var limits = Property(json, "limits", JsonValueKind.Object);
        var annotations = KeyValues(json, "annotations");
        return new GatewayAction
        {
            Namespace = String(json, "namespace"),
            Name = String(json, "name"),
            Version = String(json, "version"),
            Kind = String(exec, "kind"),
            MemoryMiB = Property(limits, "memory", JsonValueKind.Number).GetInt32(),
            TimeoutMs = Property(limits, "timeout", JsonValueKind.Number).GetInt32(),
            Confidential = !annotations.TryGetValue("confidential", out var confidential) || confidential.ValueKind != JsonValueKind.False,
            Publish = json.TryGetProperty("publish", out var publish) && publish.ValueKind == JsonValueKind.True,
            Updated = json.TryGetProperty("updated", out var updated) && updated.ValueKind == JsonValueKind.Number
                ? DateTimeOffset.FromUnixTimeMilliseconds(updated.GetInt64()) : default,
            // A module is base64 (binary: true); JavaScript source is text, given back as its UTF-8 bytes.
            Code = exec.TryGetProperty("code", out var code) && code.ValueKind == JsonValueKind.String
                ? exec.TryGetProperty("binary", out var binary) && binary.ValueKind == JsonValueKind.False
                    ? System.Text.Encoding.UTF8.GetBytes(code.GetString()!)
                    : (ReadOnlyMemory<byte>?)code.GetBytesFromBase64()
                : null,
            Main = exec.TryGetProperty("main", out var main) && main.ValueKind == JsonValueKind.String ? main.GetString() : null,
            Components = exec.TryGetProperty("components", out var components) && components.ValueKind == JsonValueKind.Array
                ? [.. components.EnumerateArray().Select(c => c.GetString() ?? throw new FormatException("'exec.components' holds a non-string"))]
                : [],
            Annotations = annotations,
            Parameters = KeyValues(json, "parameters"),
            Json = json,
        };
    }

    public static GatewayActivation Activation(JsonElement json) => new()
    {
        ActivationId = String(json, "activationId"),
        Namespace = String(json, "namespace"),
        Name = String(json, "name"),
        Version = String(json, "version"),
        Subject = json.TryGetProperty("subject", out var subject) && subject.ValueKind == JsonValueKind.String ? subject.GetString() : null,
        Start = DateTimeOffset.FromUnixTimeMilliseconds(Property(json, "start", JsonValueKind.Number).GetInt64()),
        End = Number(json, "end") is { } end ? DateTimeOffset.FromUnixTimeMilliseconds(end) : null,
        Duration = Number(json, "duration"),
        StatusCode = Number(json, "statusCode") is { } status ? (int)status : null,
        Response = json.TryGetProperty("response", out var response) && response.ValueKind == JsonValueKind.Object ? Response(response) : null,
        Logs = Lines(json),
        SealedLogs = Sealed(json),
        Json = json,
    };

    public static GatewayActivationResponse Response(JsonElement json) => new(
        String(json, "status"),
        Property(json, "statusCode", JsonValueKind.Number).GetInt32(),
        json.TryGetProperty("success", out var success) && success.ValueKind == JsonValueKind.True,
        json.TryGetProperty("result", out var result) ? result : default);

    public static GatewayInfo Info(JsonElement json) => new(
        String(json, "namespace"),
        json.TryGetProperty("version", out var version) && version.ValueKind == JsonValueKind.String ? version.GetString() : null,
        json.TryGetProperty("kms", out var kms) && kms.ValueKind == JsonValueKind.Object
            ? new Profiles.PlatformKms(String(kms, "url"), String(kms, "measurement"), String(kms, "quotingKey"))
            : null)
    {
        KmsHealth = kms.ValueKind == JsonValueKind.Object && kms.TryGetProperty("health", out var health) && health.ValueKind == JsonValueKind.Object
            ? new GatewayKmsHealth(
                String(health, "state"),
                health.TryGetProperty("since", out var since) && since.ValueKind == JsonValueKind.String && since.TryGetDateTimeOffset(out var at) ? at : null,
                Number(health, "sinceSeconds"),
                (int)(Number(health, "restarts") ?? 0),
                health.TryGetProperty("lastError", out var error) && error.ValueKind == JsonValueKind.String ? error.GetString() : null,
                Number(health, "retryAfter") is { } wait ? (int)wait : null)
            : null,
        StemCells = json.TryGetProperty("stemCells", out var cells) && cells.ValueKind == JsonValueKind.Object
            ? new GatewayStemCells((int)(Number(cells, "target") ?? 0), (int)(Number(cells, "ready") ?? 0), Number(cells, "startFailures") ?? 0)
            : null,
    };

    public static GatewayActivationLogs Logs(JsonElement json) => new(Lines(json), Sealed(json));

    private static IReadOnlyList<string> Lines(JsonElement json) =>
        json.TryGetProperty("logs", out var logs) && logs.ValueKind == JsonValueKind.Array
            ? [.. logs.EnumerateArray().Select(l => l.GetString() ?? throw new FormatException("'logs' holds a non-string"))]
            : [];

    private static SealedLogs? Sealed(JsonElement json) =>
        json.TryGetProperty("sealedLogs", out var sealedLogs) && sealedLogs.ValueKind == JsonValueKind.Object
            ? new SealedLogs(Property(sealedLogs, "size", JsonValueKind.Number).GetInt64(), String(sealedLogs, "sha256"),
                sealedLogs.TryGetProperty("envelope", out var envelope) && envelope.ValueKind == JsonValueKind.String
                    ? envelope.GetBytesFromBase64() : null)
            : null;

    private static Dictionary<string, JsonElement> KeyValues(JsonElement json, string name)
    {
        var entries = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        if (json.TryGetProperty(name, out var array) && array.ValueKind == JsonValueKind.Array)
        {
            foreach (var entry in array.EnumerateArray())
            {
                entries[String(entry, "key")] = entry.TryGetProperty("value", out var value) ? value : default;
            }
        }

        return entries;
    }

    private static JsonElement Property(JsonElement json, string name, JsonValueKind kind)
    {
        if (json.ValueKind != JsonValueKind.Object || !json.TryGetProperty(name, out var value) || value.ValueKind != kind)
        {
            throw new FormatException($"'{name}' is missing or not a {kind.ToString().ToLowerInvariant()}");
        }

        return value;
    }

    private static string String(JsonElement json, string name) => Property(json, name, JsonValueKind.String).GetString()!;

    private static long? Number(JsonElement json, string name) =>
        json.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number ? value.GetInt64() : null;
}
