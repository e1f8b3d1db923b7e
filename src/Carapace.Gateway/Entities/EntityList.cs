using System.Text.Json.Nodes;
using Carapace.Controller;
using Carapace.Gateway.Http;
using Microsoft.AspNetCore.Http;

namespace Carapace.Gateway.Entities;

/// <summary>
/// OpenWhisk's list route of one kind of entity in the caller's namespace: <c>skip</c> and <c>limit</c>, or
/// <c>count=true</c> for <c>{"KIND": N}</c>, those past <c>skip</c>. Bad arguments are a 400 saying which.
/// </summary>
internal static class EntityList
{
    /// <param name="context">The request.</param>
    /// <param name="collection">The collection's name, the key of the count (<c>triggers</c>, <c>rules</c>).</param>
    /// <param name="count">How many entities a namespace has past a skip.</param>
    /// <param name="list">One page of a namespace's entities.</param>
    /// <param name="json">One entity as the list shows it.</param>
    public static async Task WriteAsync<T>(HttpContext context, string collection, Func<string, int, long> count,
        Func<string, PageRequest, IReadOnlyList<T>> list, Func<T, JsonNode> json)
    {
        if (await NamespaceScope.ResolveAsync(context).ConfigureAwait(false) is not { } ns)
        {
            return;
        }

        if (!QueryArgs.TryPage(context.Request, out var page, out var error)
            || !QueryArgs.TryBool(context.Request, "count", false, out var counted, out error))
        {
            await ApiError.WriteAsync(context, StatusCodes.Status400BadRequest, error!).ConfigureAwait(false);
            return;
        }

        JsonNode body = counted
            ? new JsonObject { [collection] = count(ns, page.Skip) }
            : new JsonArray([.. list(ns, page).Select(json)]);
        await JsonOutput.WriteAsync(context, StatusCodes.Status200OK, body).ConfigureAwait(false);
    }
}
