using System.Text.Json;
using System.Text.Json.Nodes;
using Carapace.Controller.Registry;
using Carapace.Gateway.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;

namespace Carapace.Gateway.Actions;

/// <summary>
/// <c>/api/v1/namespaces/{ns}/actions</c>: list, and per action PUT (create, or update with <c>overwrite=true</c>),
/// GET (with <c>code=false</c> to leave the module out) and DELETE, over the controller's <see cref="ActionRegistry"/>;
/// the same under <c>/actions/{package}/{name}</c> for an action in a package (GET through a binding shows the bound
/// package's action with the binding's parameters; PUT and DELETE need a package, not a binding).
/// </summary>
internal sealed class ActionEndpoints(ActionRegistry registry, long maxRequestBytes, ILogger logger)
{
    private const string Collection = "/api/v1/namespaces/{ns}/actions";
    private const string Item = Collection + "/{name}";

    /// <summary>An action in a package (or reached through a binding).</summary>
    internal const string PackagedItem = Collection + "/{pkg}/{name}";

    public void Map(IEndpointRouteBuilder routes)
    {
        routes.MapGet(Collection, ListAsync);
        routes.MapGet(Item, GetAsync);
        routes.MapPut(Item, PutAsync);
        routes.MapDelete(Item, DeleteAsync);
        routes.MapGet(PackagedItem, GetAsync);
        routes.MapPut(PackagedItem, PutAsync);
        routes.MapDelete(PackagedItem, DeleteAsync);
    }

    private async Task ListAsync(HttpContext context)
    {
        if (await NamespaceScope.ResolveAsync(context).ConfigureAwait(false) is not { } ns)
        {
            return;
        }

        if (!QueryArgs.TryPage(context.Request, out var page, out var error)
            || !QueryArgs.TryBool(context.Request, "count", false, out var count, out error))
        {
            await ApiError.WriteAsync(context, StatusCodes.Status400BadRequest, error!).ConfigureAwait(false);
            return;
        }

        if (count)
        {
            // OpenWhisk's count: {"actions": N}, the actions past 'skip'.
            await JsonOutput.WriteAsync(context, StatusCodes.Status200OK, new JsonObject { ["actions"] = registry.Count(ns, page.Skip) })
                .ConfigureAwait(false);
            return;
        }

        var actions = registry.List(ns, page);
        await JsonOutput.WriteAsync(context, StatusCodes.Status200OK,
            new JsonArray([.. actions.Select(a => (JsonNode)ActionJson.Render(a, default, withCode: false))])).ConfigureAwait(false);
    }

    private async Task GetAsync(HttpContext context)
    {
        if (await ResolveNameAsync(context).ConfigureAwait(false) is not { } name)
        {
            return;
        }

        if (!QueryArgs.TryBool(context.Request, "code", true, out var withCode, out var error))
        {
            await ApiError.WriteAsync(context, StatusCodes.Status400BadRequest, error!).ConfigureAwait(false);
            return;
        }

        if (registry.GetResolved(name) is not { } action)
        {
            await ApiError.WriteAsync(context, StatusCodes.Status404NotFound, ApiError.ResourceDoesNotExist).ConfigureAwait(false);
            return;
        }

        var module = withCode && action.Exec.ModuleSha256 is { } sha ? registry.GetModule(sha) : null;
        await JsonOutput.WriteAsync(context, StatusCodes.Status200OK, ActionJson.Render(action, module, withCode)).ConfigureAwait(false);
    }

    private async Task PutAsync(HttpContext context)
    {
        if (await ResolveNameAsync(context).ConfigureAwait(false) is not { } name)
        {
            return;
        }

        if (!QueryArgs.TryBool(context.Request, "overwrite", false, out var overwrite, out var error))
        {
            await ApiError.WriteAsync(context, StatusCodes.Status400BadRequest, error!).ConfigureAwait(false);
            return;
        }

        var body = await RequestBody.ReadAsync(context.Request, maxRequestBytes, context.RequestAborted).ConfigureAwait(false);
        if (body is null)
        {
            await ApiError.WriteAsync(context, StatusCodes.Status413PayloadTooLarge, ApiError.TooLarge(maxRequestBytes)
                + " The module ('exec.code') and any image ('exec.image') are sent base64-encoded in it, 4/3 of their size.").ConfigureAwait(false);
            return;
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body);
        }
        catch (JsonException)
        {
            await ApiError.WriteAsync(context, StatusCodes.Status400BadRequest,
                "The request content was malformed: the body is not valid JSON.").ConfigureAwait(false);
            return;
        }

        using (document)
        {
            var errors = new List<string>();
            var existing = overwrite ? registry.Get(name) : null;
            var definition = ActionRequest.Parse(document.RootElement, name.Namespace, existing?.Limits, errors);
            if (definition is null)
            {
                await ApiError.WriteAsync(context, StatusCodes.Status400BadRequest, string.Join(" ", errors)).ConfigureAwait(false);
                return;
            }

            if (definition.Exec is { Kind: ActionKinds.Sequence } sequence && ForeignUnpublished(sequence, name.Namespace) is { } foreign)
            {
                // Reported like a missing component, so other namespaces' private action names cannot be probed.
                await ApiError.WriteAsync(context, StatusCodes.Status400BadRequest,
                    $"Sequence component {foreign} does not exist or is not published to this namespace.").ConfigureAwait(false);
                return;
            }

            var result = registry.Put(name, definition, overwrite);
            if (result.Action is not { } stored)
            {
                var status = result.Status switch
                {
                    PutActionStatus.Conflict => StatusCodes.Status409Conflict,
                    PutActionStatus.NamespaceNotFound or PutActionStatus.PackageNotFound => StatusCodes.Status404NotFound,
                    _ => StatusCodes.Status400BadRequest,
                };
                await ApiError.WriteAsync(context, status, result.Error ?? "The action was not stored.").ConfigureAwait(false);
                return;
            }

            GatewayLog.ActionStored(logger, stored.Name.ToString(), stored.Version, stored.Exec.Kind, stored.Confidential);
            var module = definition.Exec is { Kind: ActionKinds.Wasm } wasm ? wasm.Module.Span
                : stored.Exec.ModuleSha256 is { } sha ? registry.GetModule(sha) : default;
            await JsonOutput.WriteAsync(context, StatusCodes.Status200OK, ActionJson.Render(stored, module, withCode: true)).ConfigureAwait(false);
        }
    }

    private async Task DeleteAsync(HttpContext context)
    {
        if (await ResolveNameAsync(context).ConfigureAwait(false) is not { } name)
        {
            return;
        }

        if (registry.IsInBinding(name))
        {
            // OpenWhisk's sentence: a binding holds no actions of its own.
            await ApiError.WriteAsync(context, StatusCodes.Status400BadRequest, "Operation not permitted on package binding.").ConfigureAwait(false);
            return;
        }

        var before = registry.Get(name);
        var module = before?.Exec.ModuleSha256 is { } sha ? registry.GetModule(sha) : null;
        if (registry.Delete(name) is not { } deleted)
        {
            await ApiError.WriteAsync(context, StatusCodes.Status404NotFound, ApiError.ResourceDoesNotExist).ConfigureAwait(false);
            return;
        }

        GatewayLog.ActionDeleted(logger, deleted.Name.ToString());
        var sameCode = module is not null && deleted.Exec.ModuleSha256 == before!.Exec.ModuleSha256;
        await JsonOutput.WriteAsync(context, StatusCodes.Status200OK,
            ActionJson.Render(deleted, sameCode ? module : default, withCode: sameCode)).ConfigureAwait(false);
    }

    private string? ForeignUnpublished(ActionExec sequence, string caller)
    {
        foreach (var text in sequence.Components)
        {
            if (ActionName.TryParse(text, out var component) && component.Namespace != caller
                && registry.Get(component) is { Publish: false })
            {
                return text;
            }
        }

        return null;
    }

    /// <summary>The action a request's <c>{ns}</c>, <c>{pkg}</c> (if any) and <c>{name}</c> address, or null after writing a 403 or 400.</summary>
    internal static async Task<ActionName?> ResolveNameAsync(HttpContext context)
    {
        if (await NamespaceScope.ResolveAsync(context).ConfigureAwait(false) is not { } ns)
        {
            return null;
        }

        var name = context.Request.RouteValues["name"] as string;
        if (!ActionName.IsValidPart(name))
        {
            await ApiError.WriteAsync(context, StatusCodes.Status400BadRequest,
                $"The name '{name}' is not a valid action name: use letters, digits and _ (then also @ . - and spaces), at most {ActionName.MaxLength} characters.")
                .ConfigureAwait(false);
            return null;
        }

        if (context.Request.RouteValues["pkg"] is string package)
        {
            if (!ActionName.IsValidPart(package))
            {
                await ApiError.WriteAsync(context, StatusCodes.Status400BadRequest, Entities.EntityRoute.InvalidName("package", package)).ConfigureAwait(false);
                return null;
            }

            return ActionName.Of(ns, package, name);
        }

        return ActionName.Of(ns, name);
    }
}
