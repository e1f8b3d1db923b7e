using System.Text;
using System.Text.Json.Nodes;
using Carapace.Controller.Activations;
using Carapace.Gateway.Actions;

namespace Carapace.Gateway.Activations;

/// <summary>
/// Activations in OpenWhisk's JSON shape: <c>namespace</c>, <c>name</c>, <c>version</c>, <c>subject</c>,
/// <c>activationId</c>, <c>start</c>, <c>end</c>, <c>duration</c> (milliseconds), <c>statusCode</c>,
/// <c>response</c> {<c>status</c>, <c>statusCode</c>, <c>success</c>, <c>result</c>}, <c>logs</c>,
/// <c>annotations</c>, <c>publish</c>. A confidential activation's logs are sealed: <c>logs</c> is empty and the
/// Carapace field <c>sealedLogs</c> gives only their size and SHA-256. A pending activation has no <c>end</c>,
/// <c>duration</c> or <c>response</c>.
/// </summary>
internal static class ActivationJson
{
    /// <summary>OpenWhisk's numeric <c>statusCode</c> of a response status.</summary>
    public static int StatusCode(ActivationStatus status) => status switch
    {
        ActivationStatus.Success => 0,
        ActivationStatus.ApplicationError => 1,
        ActivationStatus.DeveloperError => 2,
        _ => 3,
    };

    /// <summary>The list form (<c>docs=false</c>): everything but <c>response</c> and <c>logs</c>.</summary>
    public static JsonObject Summary(ActivationRecord record)
    {
        var json = new JsonObject
        {
            ["namespace"] = record.Namespace,
            // An action in a package is stored as "package/name"; OpenWhisk's name is its own (the path annotation has the package).
            ["name"] = record.Name[(record.Name.IndexOf('/', StringComparison.Ordinal) + 1)..],
            ["version"] = record.Version,
            ["subject"] = record.Subject,
            ["activationId"] = record.ActivationId.ToString(),
            ["start"] = record.Start.ToUnixTimeMilliseconds(),
        };
        if (record.Cause is { } cause)
        {
            json["cause"] = cause.ToString();
        }

        if (record.End is { } end)
        {
            json["end"] = end.ToUnixTimeMilliseconds();
            json["duration"] = record.Duration;
        }

        if (record.Response is { } response)
        {
            json["statusCode"] = StatusCode(response.Status);
        }

        json["annotations"] = ActionJson.KeyValues(record.Annotations);
        json["publish"] = false;
        return json;
    }

    /// <summary>The full form, with <c>response</c> and logs (<paramref name="logBytes"/> used only for a plaintext activation).</summary>
    public static JsonObject Full(ActivationRecord record, byte[]? logBytes)
    {
        var json = Summary(record);
        if (record.Response is { } response)
        {
            json["response"] = Response(response);
        }

        foreach (var (key, value) in Logs(record, logBytes))
        {
            json[key] = value;
        }

        return json;
    }

    /// <summary>The <c>response</c> object (also the body of <c>/result</c>).</summary>
    public static JsonObject Response(ActivationResponse response) => new()
    {
        ["status"] = response.Status.ToWire(),
        ["statusCode"] = StatusCode(response.Status),
        ["success"] = response.Success,
        ["result"] = JsonNode.Parse(response.Result.GetRawText()),
    };

    /// <summary>
    /// The <c>logs</c> array (a sequence's: its components' activation ids) and, for a confidential activation with logs, <c>sealedLogs</c> {<c>size</c>,
    /// <c>sha256</c>, and on <c>/logs</c> the <c>envelope</c> itself, base64}: the sealed bytes are never decoded. A plaintext activation's log blob is UTF-8 text, one line
    /// per log line.
    /// </summary>
    public static IEnumerable<KeyValuePair<string, JsonNode?>> Logs(ActivationRecord record, byte[]? logBytes)
    {
        if (record.Components is { } components)
        {
            // A sequence's logs are its components' activation ids, in order, as OpenWhisk's (public metadata).
            yield return new("logs", new JsonArray([.. components.Select(c => (JsonNode)c.ToString())]));
            yield break;
        }

        if (record.Confidential)
        {
            yield return new("logs", new JsonArray());
            if (record.Logs is { } digest)
            {
                var sealedLogs = new JsonObject { ["size"] = digest.Size, ["sha256"] = digest.Sha256 };
                if (logBytes is not null)
                {
                    // Ciphertext for the client, who opens it with the log key of the activation's chain step.
                    sealedLogs["envelope"] = Convert.ToBase64String(logBytes);
                }

                yield return new("sealedLogs", sealedLogs);
            }

            yield break;
        }

        var lines = logBytes is null ? [] : Encoding.UTF8.GetString(logBytes).Split('\n').Where(l => l.Length > 0);
        yield return new("logs", new JsonArray([.. lines.Select(l => (JsonNode)l.TrimEnd('\r'))]));
    }
}
