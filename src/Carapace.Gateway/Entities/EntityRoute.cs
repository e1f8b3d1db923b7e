using Carapace.Controller.Registry;
using Carapace.Gateway.Http;
using Microsoft.AspNetCore.Http;

namespace Carapace.Gateway.Entities;

/// <summary>The namespace and entity name a package, trigger or rule route addresses.</summary>
internal static class EntityRoute
{
    /// <summary>
    /// The caller's namespace and the <c>{name}</c> of the route, or null after writing a 403 (another namespace) or a
    /// 400 naming what is wrong with the name.
    /// </summary>
    public static async Task<(string Namespace, string Name)?> ResolveAsync(HttpContext context, string kind)
    {
        if (await NamespaceScope.ResolveAsync(context).ConfigureAwait(false) is not { } ns)
        {
            return null;
        }

        return await NameAsync(context, kind).ConfigureAwait(false) is { } name ? (ns, name) : null;
    }

    /// <summary>
    /// What a package, trigger or rule PUT starts with: the addressed namespace and name, the <c>overwrite</c> flag
    /// and the JSON body (the caller disposes it); null after writing the 403, 400 or 413 that says what is wrong.
    /// </summary>
    public static async Task<(string Namespace, string Name, bool Overwrite, System.Text.Json.JsonDocument Body)?> ReadPutAsync(HttpContext context, string kind)
    {
        if (await ResolveAsync(context, kind).ConfigureAwait(false) is not { } target)
        {
            return null;
        }

        if (!QueryArgs.TryBool(context.Request, "overwrite", false, out var overwrite, out var error))
        {
            await ApiError.WriteAsync(context, StatusCodes.Status400BadRequest, error!).ConfigureAwait(false);
            return null;
        }

        return await EntityBody.ReadAsync(context, kind).ConfigureAwait(false) is { } body ? (target.Namespace, target.Name, overwrite, body) : null;
    }

    /// <summary>The route's <c>{name}</c>, or null after writing a 400 naming what is wrong with it.</summary>
    public static async Task<string?> NameAsync(HttpContext context, string kind)
    {
        var name = context.Request.RouteValues["name"] as string;
        if (!ActionName.IsValidPart(name))
        {
            await ApiError.WriteAsync(context, StatusCodes.Status400BadRequest, InvalidName(kind, name)).ConfigureAwait(false);
            return null;
        }

        return name;
    }

    /// <summary>The 400 sentence for a name that breaks OpenWhisk's entity name rule.</summary>
    public static string InvalidName(string kind, string? name) =>
        $"The name '{name}' is not a valid {kind} name: use letters, digits and _ (then also @ . - and spaces), at most {ActionName.MaxLength} characters.";

    /// <summary>
    /// The namespace a read-only route addresses, which may be another namespace's (for what it published): the caller's
    /// own for <c>_</c>; null after writing a 400 when the segment is no valid namespace name.
    /// </summary>
    public static async Task<(string Namespace, bool Own)?> ReadableNamespaceAsync(HttpContext context)
    {
        var caller = GatewayRequest.Of(context).Namespace!;
        var requested = context.Request.RouteValues["ns"] as string;
        if (requested == "_" || requested == caller)
        {
            return (caller, true);
        }

        if (!ActionName.IsValidPart(requested))
        {
            await ApiError.WriteAsync(context, StatusCodes.Status400BadRequest, $"The namespace '{requested}' is not a valid namespace name.")
                .ConfigureAwait(false);
            return null;
        }

        return (requested, false);
    }
}
