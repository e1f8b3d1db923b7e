using System.Text.Json.Nodes;
using Carapace.Controller;
using Carapace.Controller.Registry;
using Carapace.Gateway.Actions;
using Carapace.Gateway.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Carapace.Gateway.Namespaces;

/// <summary>
/// <c>GET /api/v1/namespaces/{ns}</c> (the OpenWhisk clients' <c>namespaces.get</c>): what a namespace holds, one list
/// per kind — <c>actions</c>, <c>packages</c>, <c>rules</c>, <c>triggers</c> — each entry in the form its own list
/// route gives, newest first and at most <see cref="PageRequest.MaxLimit"/> per kind (the list routes page further). A
/// kind the platform does not have is an empty list.
/// </summary>
internal sealed class NamespaceEndpoints(ActionRegistry registry)
{
    public void Map(IEndpointRouteBuilder routes) => routes.MapGet("/api/v1/namespaces/{ns}", GetAsync);

    private async Task GetAsync(HttpContext context)
    {
        if (await NamespaceScope.ResolveAsync(context).ConfigureAwait(false) is not { } ns)
        {
            return;
        }

        var page = PageRequest.Default;
        if (!PageRequest.TryCreate(0, PageRequest.MaxLimit, out page, out var error))
        {
            throw new InvalidOperationException(error);
        }

        var actions = registry.List(ns, page).Select(a => (JsonNode)ActionJson.Render(a, default, withCode: false));
        await JsonOutput.WriteAsync(context, StatusCodes.Status200OK, new JsonObject
        {
            ["actions"] = new JsonArray([.. actions]),
            ["packages"] = new JsonArray(),
            ["rules"] = new JsonArray(),
            ["triggers"] = new JsonArray(),
        }).ConfigureAwait(false);
    }
}
