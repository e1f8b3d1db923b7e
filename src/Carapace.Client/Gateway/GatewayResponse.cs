using System.Net;

namespace Carapace.Client.Gateway;

/// <summary>
/// A raw gateway answer (from <see cref="GatewayClient.InvokeAsync"/>): status, headers (response and content headers
/// together, names case-insensitive) and body bytes.
/// </summary>
public sealed class GatewayResponse
{
    internal GatewayResponse(HttpStatusCode statusCode, IReadOnlyDictionary<string, IReadOnlyList<string>> headers, string? contentType, byte[] body)
    {
        StatusCode = statusCode;
        Headers = headers;
        ContentType = contentType;
        Body = body;
    }

    /// <summary>The HTTP status.</summary>
    public HttpStatusCode StatusCode { get; }

    /// <summary>True for a 2xx status.</summary>
    public bool IsSuccess => (int)StatusCode is >= 200 and < 300;

    /// <summary>All headers by name.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> Headers { get; }

    /// <summary>The media type of the body (e.g. <c>application/json</c>), without parameters; null when none.</summary>
    public string? ContentType { get; }

    /// <summary>The body.</summary>
    public byte[] Body { get; }

    /// <summary>The first value of header <paramref name="name"/>, or null.</summary>
    public string? Header(string name) => Headers.TryGetValue(name, out var values) && values.Count > 0 ? values[0] : null;
}
