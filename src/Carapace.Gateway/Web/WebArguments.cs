using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;

namespace Carapace.Gateway.Web;

/// <summary>
/// A web request as the action's input, as OpenWhisk builds it: the request's context in the <c>__ow_*</c> parameters
/// (<c>__ow_method</c> in lower case, <c>__ow_headers</c> with lower-case names, <c>__ow_path</c> after the action's
/// name, <c>__ow_user</c> when the caller authenticated), then the query parameters, then the body's parameters (the
/// last wins). A JSON object or form body becomes parameters; any other body is <c>__ow_body</c>, a string (base64 when
/// binary). A <c>raw-http</c> action gets the query as <c>__ow_query</c> and the body always as <c>__ow_body</c>.
/// </summary>
internal static class WebArguments
{
    public const string Method = "__ow_method";
    public const string Headers = "__ow_headers";
    public const string Path = "__ow_path";
    public const string User = "__ow_user";
    public const string Query = "__ow_query";
    public const string Body = "__ow_body";

    /// <summary>The parameters the platform sets; a query or body parameter may not name one.</summary>
    public static readonly IReadOnlySet<string> Reserved = new HashSet<string>([Method, Headers, Path, User, Query, Body], StringComparer.Ordinal);

    /// <summary>What the request asks, or why it is refused (status and OpenWhisk's message).</summary>
    public sealed record Outcome(JsonObject? Arguments, int Status, string? Error);

    /// <summary>Builds the action's input from the request and its <paramref name="body"/>.</summary>
    /// <param name="request">The request (method, headers, query).</param>
    /// <param name="body">The whole body, already read within the size limit.</param>
    /// <param name="path">The path after the action's name (<c>__ow_path</c>), e.g. <c>/a/b</c> or empty.</param>
    /// <param name="user">The authenticated caller's namespace, or null for an anonymous request.</param>
    /// <param name="annotations">The action's web annotations (raw handling, final parameters).</param>
    /// <param name="credentialConsumed">True when the request's <c>Authorization</c> was a Carapace credential: it is not passed on.</param>
    public static Outcome Build(HttpRequest request, byte[] body, string path, string? user, WebAnnotations annotations, bool credentialConsumed)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(annotations);
        JsonNode? bodyValue;
        try
        {
            bodyValue = BodyValue(request.ContentType, body, annotations.Raw);
        }
        catch (JsonException)
        {
            return new Outcome(null, StatusCodes.Status400BadRequest, "The request content was malformed: the body is not valid JSON.");
        }

        var arguments = new JsonObject
        {
            [Method] = request.Method.ToLowerInvariant(),
            [Headers] = HeadersOf(request, credentialConsumed),
            [Path] = path,
        };
        if (user is not null)
        {
            arguments[User] = user;
        }

        if (annotations.Raw)
        {
            arguments[Query] = request.QueryString.HasValue ? request.QueryString.Value![1..] : "";
            arguments[Body] = bodyValue ?? "";
            return new Outcome(arguments, StatusCodes.Status200OK, null);
        }

        var query = new List<KeyValuePair<string, string>>();
        foreach (var (key, values) in request.Query)
        {
            // As OpenWhisk: of a repeated query parameter, the last value counts.
            query.Add(new(key, values.Count == 0 ? "" : values[^1] ?? ""));
        }

        var bodyFields = bodyValue as JsonObject;
        var forbidden = annotations.FinalParameters;
        if (query.Any(q => Reserved.Contains(q.Key) || forbidden.Contains(q.Key))
            || bodyFields is not null && bodyFields.Any(f => Reserved.Contains(f.Key) || forbidden.Contains(f.Key)))
        {
            return new Outcome(null, StatusCodes.Status400BadRequest, WebMessages.ParametersNotAllowed);
        }

        foreach (var (key, value) in query)
        {
            arguments[key] = value;
        }

        if (bodyFields is not null)
        {
            foreach (var (key, value) in bodyFields.ToList())
            {
                bodyFields.Remove(key);
                arguments[key] = value;
            }
        }
        else if (bodyValue is not null)
        {
            arguments[Body] = bodyValue;
        }

        return new Outcome(arguments, StatusCodes.Status200OK, null);
    }

    /// <summary>
    /// The body as OpenWhisk passes it: null when there is none; for an action that is not raw, a JSON-typed body
    /// parsed (any JSON value) and a form body as an object of strings; otherwise a string, base64 when the content is
    /// binary (or JSON, which OpenWhisk encodes for compatibility), UTF-8 text otherwise.
    /// </summary>
    /// <exception cref="JsonException">A JSON-typed body of a non-raw action is not valid JSON.</exception>
    private static JsonNode? BodyValue(string? contentType, byte[] body, bool raw)
    {
        if (contentType is null && body.Length == 0)
        {
            return null;
        }

        // A body without a (valid) type is bytes, as an HTTP server must assume.
        var type = WebMediaTypes.TryParse(contentType, out var parsed) ? parsed : new WebMediaTypes.MediaType("application/octet-stream", false);
        if (!raw && type.IsJsonFamily)
        {
            return body.Length == 0 ? null : JsonNode.Parse(body, documentOptions: new JsonDocumentOptions { MaxDepth = 64 });
        }

        if (!raw && type.Type == WebMediaTypes.FormUrlEncoded)
        {
            var form = new JsonObject();
            foreach (var (key, values) in QueryHelpers.ParseQuery(Encoding.UTF8.GetString(body)))
            {
                form[key] = values.Count == 0 ? "" : values[^1];
            }

            return form;
        }

        return type.IsBinary || type.Type == WebMediaTypes.Json
            ? Convert.ToBase64String(body)
            : Encoding.UTF8.GetString(body);
    }

    private static JsonObject HeadersOf(HttpRequest request, bool credentialConsumed)
    {
        var headers = new JsonObject();
        foreach (var (name, values) in request.Headers)
        {
            var lower = name.ToLowerInvariant();
            if (lower.StartsWith(':') || lower == "content-length" || credentialConsumed && lower == "authorization")
            {
                continue;
            }

            headers[lower] = values.Count == 0 ? "" : values[^1];
        }

        return headers;
    }
}
