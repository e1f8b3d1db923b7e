using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;

namespace Carapace.Gateway.Web;

/// <summary>
/// Which media types are text and which are binary, as OpenWhisk's web route decides it: text is passed and returned
/// as a string, binary as base64. Text: <c>text/*</c>, the textual <c>application</c> types (JSON, XML, JavaScript,
/// form data and their <c>+json</c> / <c>+xml</c> relatives), <c>message/*</c>, and any type that names a charset;
/// every other type is binary (e.g. <c>application/octet-stream</c>, <c>image/png</c>, <c>image/svg+xml</c>).
/// </summary>
internal static class WebMediaTypes
{
    public const string Json = "application/json";
    public const string FormUrlEncoded = "application/x-www-form-urlencoded";

    private static readonly HashSet<string> TextualApplicationTypes = new(StringComparer.OrdinalIgnoreCase)
    {
        "application/json", "application/javascript", "application/x-javascript", "application/ecmascript",
        "application/xml", "application/xml-dtd", "application/xhtml+xml", "application/atom+xml", "application/rss+xml",
        "application/soap+xml", "application/x-www-form-urlencoded", "application/base64", "application/graphql",
    };

    /// <summary>A parsed <c>Content-Type</c>: the <c>type/subtype</c> in lower case and whether it names a charset.</summary>
    public readonly record struct MediaType(string Type, bool HasCharset)
    {
        public bool IsJsonFamily => Type == Json || Type.EndsWith("+json", StringComparison.Ordinal);

        public bool IsBinary
        {
            get
            {
                if (HasCharset)
                {
                    return false;
                }

                if (Type.StartsWith("image/", StringComparison.Ordinal))
                {
                    return true; // SVG too: an image is bytes unless a charset says otherwise.
                }

                return !Type.StartsWith("text/", StringComparison.Ordinal)
                    && !Type.StartsWith("message/", StringComparison.Ordinal)
                    && !TextualApplicationTypes.Contains(Type)
                    && !Type.EndsWith("+json", StringComparison.Ordinal)
                    && !Type.EndsWith("+xml", StringComparison.Ordinal);
            }
        }
    }

    /// <summary>Parses a <c>Content-Type</c> value; false when it is not a valid <c>type/subtype</c> with parameters.</summary>
    public static bool TryParse(string? value, out MediaType mediaType)
    {
        mediaType = default;
        if (string.IsNullOrWhiteSpace(value) || !MediaTypeHeaderValue.TryParse(value, out var parsed)
            || parsed.MediaType.Value is not { } text)
        {
            return false;
        }

        var slash = text.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0 || slash == text.Length - 1 || text.Contains('*', StringComparison.Ordinal))
        {
            return false;
        }

        mediaType = new MediaType(text.ToLowerInvariant(), !StringSegment.IsNullOrEmpty(parsed.Charset));
        return true;
    }

    /// <summary>
    /// True when <paramref name="text"/> is non-empty base64 (after trimming, a multiple of four characters that
    /// decodes), OpenWhisk's test for a JSON-typed string body that is really encoded bytes.
    /// </summary>
    public static bool IsBase64(string text)
    {
        var trimmed = text.Trim();
        if (trimmed.Length == 0 || trimmed.Length % 4 != 0)
        {
            return false;
        }

        var buffer = new byte[trimmed.Length / 4 * 3];
        return Convert.TryFromBase64String(trimmed, buffer, out _);
    }
}
