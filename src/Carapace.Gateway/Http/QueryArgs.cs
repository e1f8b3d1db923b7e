using System.Globalization;
using Carapace.Controller;
using Microsoft.AspNetCore.Http;

namespace Carapace.Gateway.Http;

/// <summary>Parses the query parameters the API takes; each failure is a sentence for a 400.</summary>
internal static class QueryArgs
{
    public static bool TryInt(HttpRequest request, string name, out int? value, out string? error)
    {
        value = null;
        error = null;
        var text = request.Query[name].ToString();
        if (text.Length == 0)
        {
            return true;
        }

        if (!int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var parsed))
        {
            error = $"The value of '{name}' is not an integer.";
            return false;
        }

        value = parsed;
        return true;
    }

    public static bool TryBool(HttpRequest request, string name, bool fallback, out bool value, out string? error)
    {
        value = fallback;
        error = null;
        var text = request.Query[name].ToString();
        if (text.Length == 0)
        {
            return true;
        }

        if (!bool.TryParse(text, out value))
        {
            error = $"The value of '{name}' must be true or false.";
            return false;
        }

        return true;
    }

    /// <summary>
    /// An instant given as milliseconds since the Unix epoch (OpenWhisk's <c>since</c> and <c>upto</c>); null when the
    /// parameter is absent.
    /// </summary>
    public static bool TryEpochMilliseconds(HttpRequest request, string name, out DateTimeOffset? value, out string? error)
    {
        value = null;
        error = null;
        var text = request.Query[name].ToString();
        if (text.Length == 0)
        {
            return true;
        }

        if (!long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var ms)
            || ms < DateTimeOffset.MinValue.ToUnixTimeMilliseconds() || ms > DateTimeOffset.MaxValue.ToUnixTimeMilliseconds())
        {
            error = $"The value '{text}' of '{name}' is not a time: give milliseconds since the epoch (1970-01-01T00:00:00Z), e.g. 1700000000000.";
            return false;
        }

        value = DateTimeOffset.FromUnixTimeMilliseconds(ms);
        return true;
    }

    public static bool TryPage(HttpRequest request, out PageRequest page, out string? error)
    {
        page = PageRequest.Default;
        return TryInt(request, "skip", out var skip, out error)
            && TryInt(request, "limit", out var limit, out error)
            && PageRequest.TryCreate(skip, limit, out page, out error);
    }
}
