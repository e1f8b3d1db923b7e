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

    public static bool TryPage(HttpRequest request, out PageRequest page, out string? error)
    {
        page = PageRequest.Default;
        return TryInt(request, "skip", out var skip, out error)
            && TryInt(request, "limit", out var limit, out error)
            && PageRequest.TryCreate(skip, limit, out page, out error);
    }
}
