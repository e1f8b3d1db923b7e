using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Carapace.Gateway.Web;

/// <summary>
/// OpenWhisk's extensions of a web action's name and how each turns the activation's result into the HTTP response:
/// <c>.json</c> (an object or array), <c>.html</c> and <c>.svg</c> (a string, or the result's <c>body</c> or
/// <c>html</c>/<c>svg</c>), <c>.text</c> (any value, or the result's <c>body</c> or <c>text</c>), and <c>.http</c>
/// (the default: the result's <c>statusCode</c>, <c>headers</c> and <c>body</c>).
/// </summary>
internal static class WebResults
{
    public const string Http = ".http";

    private static readonly string[] Extensions = [Http, ".json", ".html", ".svg", ".text"];

    private static readonly JsonSerializerOptions Pretty = new() { WriteIndented = true };

    /// <summary>Headers a result may not set: the server frames the response itself.</summary>
    private static readonly HashSet<string> FramingHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "content-length", "transfer-encoding", "connection", "keep-alive", "upgrade", "te", "trailer", "proxy-connection",
    };

    /// <summary>
    /// Splits <c>name.ext</c> into the action's name and a known extension; a name without one is served as
    /// <see cref="Http"/> (so an action whose name has a dot keeps it, as in OpenWhisk).
    /// </summary>
    public static (string Name, string Extension) Split(string segment)
    {
        foreach (var extension in Extensions)
        {
            if (segment.EndsWith(extension, StringComparison.Ordinal) && segment.Length > extension.Length)
            {
                return (segment[..^extension.Length], extension);
            }
        }

        return (segment, Http);
    }

    /// <summary>The reply for <paramref name="result"/> (the result, or an application error's <c>error</c> value).</summary>
    public static WebReply Render(string extension, JsonNode? result) => extension switch
    {
        ".json" => result is JsonObject or JsonArray
            ? Json(StatusCodes.Status200OK, [], "application/json", result)
            : WebReply.Failure(StatusCodes.Status400BadRequest, WebMessages.InvalidMedia("application/json")),
        ".html" => Markup(result, "html", "text/html", "text/html; charset=UTF-8"),
        ".svg" => Markup(result, "svg", "image/svg+xml", "image/svg+xml"),
        ".text" => Text(result),
        _ => AsHttp(result),
    };

    private static WebReply Markup(JsonNode? result, string field, string mediaType, string contentType)
    {
        var value = result is JsonObject fields ? fields["body"] ?? fields[field] : result;
        return value is JsonValue text && text.GetValueKind() == JsonValueKind.String
            ? new WebReply { Status = StatusCodes.Status200OK, ContentType = contentType, Body = Encoding.UTF8.GetBytes(text.GetValue<string>()) }
            : WebReply.Failure(StatusCodes.Status400BadRequest, WebMessages.InvalidMedia(mediaType));
    }

    private static WebReply Text(JsonNode? result)
    {
        JsonNode? value;
        if (result is JsonObject fields)
        {
            if (!fields.TryGetPropertyValue("body", out value) && !fields.TryGetPropertyValue("text", out value))
            {
                return WebReply.Failure(StatusCodes.Status404NotFound, WebMessages.PropertyNotFound);
            }
        }
        else
        {
            value = result;
        }

        var text = value switch
        {
            null => "null",
            JsonObject or JsonArray => value.ToJsonString(Pretty),
            JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
            _ => value.ToJsonString(),
        };
        return new WebReply { Status = StatusCodes.Status200OK, ContentType = "text/plain; charset=UTF-8", Body = Encoding.UTF8.GetBytes(text) };
    }

    /// <summary>
    /// The <c>.http</c> reply: the result must be an object; <c>headers</c> an object of strings, numbers, booleans or
    /// arrays of them; <c>statusCode</c> a whole number or numeric string (200–599); <c>body</c> a string (text, or base64
    /// for a binary content type) or any JSON value. Without a body the status is 204 unless the result gives one.
    /// </summary>
    private static WebReply AsHttp(JsonNode? result)
    {
        var invalid = WebReply.Failure(StatusCodes.Status400BadRequest, WebMessages.InvalidMedia("message/http"));
        if (result is not JsonObject fields)
        {
            return invalid;
        }

        var headers = new List<KeyValuePair<string, string>>();
        if (fields["headers"] is { } given && (given is not JsonObject map || !TryHeaders(map, headers)))
        {
            return invalid;
        }

        int? code = null;
        if (fields["statusCode"] is { } status)
        {
            if (!TryStatus(status, out var parsed))
            {
                return invalid;
            }

            code = parsed;
        }

        var body = fields["body"];
        if (body is null || body is JsonValue s && s.GetValueKind() == JsonValueKind.String && s.GetValue<string>().Length == 0)
        {
            return Empty(code ?? StatusCodes.Status204NoContent, headers);
        }

        return body is JsonValue str && str.GetValueKind() == JsonValueKind.String
            ? StringBody(code ?? StatusCodes.Status200OK, headers, str.GetValue<string>())
            : JsonBody(code ?? StatusCodes.Status200OK, headers, body);
    }

    private static WebReply Empty(int status, List<KeyValuePair<string, string>> headers) =>
        new() { Status = status, Headers = WithoutContentType(headers) };

    private static WebReply StringBody(int status, List<KeyValuePair<string, string>> headers, string body)
    {
        var declared = ContentTypeOf(headers);
        if (!WebMediaTypes.TryParse(declared ?? "text/html", out var type))
        {
            return WebReply.Failure(StatusCodes.Status400BadRequest, WebMessages.UnknownContentType);
        }

        byte[] bytes;
        string contentType;
        if (type.IsBinary || type.IsJsonFamily && WebMediaTypes.IsBase64(body))
        {
            // Bytes the action sent base64-encoded (and, as OpenWhisk still accepts, JSON sent that way).
            try
            {
                bytes = Convert.FromBase64String(body);
            }
            catch (FormatException)
            {
                return WebReply.Failure(StatusCodes.Status400BadRequest, WebMessages.ContentTypeError);
            }

            contentType = type.IsBinary ? declared! : TextContentType(type);
        }
        else
        {
            bytes = Encoding.UTF8.GetBytes(body);
            contentType = TextContentType(type);
        }

        return Bodied(status, headers, contentType, bytes);
    }

    private static WebReply JsonBody(int status, List<KeyValuePair<string, string>> headers, JsonNode body)
    {
        if (!WebMediaTypes.TryParse(ContentTypeOf(headers) ?? "application/json", out var type) || !type.IsJsonFamily)
        {
            return WebReply.Failure(StatusCodes.Status400BadRequest, WebMessages.ContentTypeError);
        }

        return Bodied(status, headers, TextContentType(type), Encoding.UTF8.GetBytes(body.ToJsonString(Pretty)));
    }

    private static WebReply Json(int status, List<KeyValuePair<string, string>> headers, string contentType, JsonNode body) =>
        Bodied(status, headers, contentType, Encoding.UTF8.GetBytes(body.ToJsonString(Pretty)));

    private static WebReply Bodied(int status, List<KeyValuePair<string, string>> headers, string contentType, byte[] body) =>
        status is StatusCodes.Status204NoContent or StatusCodes.Status304NotModified
            ? Empty(status, headers) // HTTP allows no body with these; the body the result gave is dropped.
            : new WebReply { Status = status, Headers = WithoutContentType(headers), ContentType = contentType, Body = body };

    /// <summary>Text goes out as UTF-8 and says so; <c>application/json</c> is UTF-8 by definition and names no charset.</summary>
    private static string TextContentType(WebMediaTypes.MediaType type) =>
        type.Type == WebMediaTypes.Json ? WebMediaTypes.Json : type.Type + "; charset=UTF-8";

    private static string? ContentTypeOf(List<KeyValuePair<string, string>> headers) =>
        headers.FirstOrDefault(h => h.Key.Equals("content-type", StringComparison.OrdinalIgnoreCase)).Value;

    private static List<KeyValuePair<string, string>> WithoutContentType(List<KeyValuePair<string, string>> headers) =>
        [.. headers.Where(h => !h.Key.Equals("content-type", StringComparison.OrdinalIgnoreCase))];

    private static bool TryHeaders(JsonObject map, List<KeyValuePair<string, string>> headers)
    {
        foreach (var (name, value) in map)
        {
            if (!IsToken(name) || !TryHeaderValues(name, value, headers))
            {
                return false;
            }
        }

        return true;
    }

    private static bool TryHeaderValues(string name, JsonNode? value, List<KeyValuePair<string, string>> headers)
    {
        switch (value)
        {
            case JsonArray items:
                return items.All(item => TryHeaderValues(name, item, headers));
            case JsonValue v when v.GetValueKind() is JsonValueKind.String or JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False:
                var text = v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : v.ToJsonString();
                if (text.Any(c => c is '\r' or '\n' or '\0' || c < ' ' && c != '\t' || c == '\x7f' || c > '\xff'))
                {
                    return false;
                }

                if (!FramingHeaders.Contains(name))
                {
                    headers.Add(new(name, text));
                }

                return true;
            default:
                return false;
        }
    }

    private static bool TryStatus(JsonNode status, out int code)
    {
        code = 0;
        if (status is not JsonValue value)
        {
            return false;
        }

        var parsed = value.GetValueKind() switch
        {
            JsonValueKind.Number => decimal.TryParse(value.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d)
                && d == decimal.Truncate(d) && d >= int.MinValue && d <= int.MaxValue ? (int?)(int)d : null,
            JsonValueKind.String => int.TryParse(value.GetValue<string>(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var i) ? i : null,
            _ => null,
        };
        if (parsed is not (>= 200 and <= 599))
        {
            return false;
        }

        code = parsed.Value;
        return true;
    }

    private static bool IsToken(string name) =>
        name.Length > 0 && name.All(c => c < 0x7f && (char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-.^_`|~".Contains(c, StringComparison.Ordinal)));
}
