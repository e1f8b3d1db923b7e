using System.Net.Http.Headers;
using System.Text;

namespace Carapace.Gateway.Auth;

/// <summary>Parses an HTTP <c>Authorization: Basic base64(uuid:key)</c> header.</summary>
internal static class BasicAuth
{
    public static bool TryParse(string? header, out string uuid, out string key)
    {
        uuid = key = "";
        if (!AuthenticationHeaderValue.TryParse(header, out var value)
            || !string.Equals(value.Scheme, "Basic", StringComparison.OrdinalIgnoreCase)
            || value.Parameter is not { Length: > 0 and <= 1024 } parameter)
        {
            return false;
        }

        Span<byte> decoded = stackalloc byte[parameter.Length];
        if (!Convert.TryFromBase64String(parameter, decoded, out var length))
        {
            return false;
        }

        string text;
        try
        {
            text = new UTF8Encoding(false, true).GetString(decoded[..length]);
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
        finally
        {
            decoded.Clear();
        }

        var colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0 || colon == text.Length - 1)
        {
            return false;
        }

        uuid = text[..colon];
        key = text[(colon + 1)..];
        return true;
    }
}
