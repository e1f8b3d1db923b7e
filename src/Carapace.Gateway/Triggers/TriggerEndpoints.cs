using System.Text.Json;
using System.Text.Json.Nodes;
using Carapace.Controller.Triggers;
using Carapace.Gateway.Entities;
using Carapace.Gateway.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;

namespace Carapace.Gateway.Triggers;

/// <summary>
/// <c>/api/v1/namespaces/{ns}/triggers</c>: list, and per trigger PUT (create, or update with <c>overwrite=true</c>),
/// GET (with its rules), DELETE (its rules stay, inactive) and POST (fire: <see cref="TriggerFiring"/>), over the
/// controller's <see cref="TriggerRegistry"/>. A trigger with a <c>feed</c> annotation is refused with 501: feeds are
/// not supported.
/// </summary>
internal sealed class TriggerEndpoints(TriggerRegistry triggers, TriggerFiring firing, ILogger logger)
{
    /// <summary>OpenWhisk's annotation naming the feed action of a trigger.</summary>
    public const string FeedAnnotation = "feed";

    /// <summary>Why a feed is refused, for the 501 body and the docs.</summary>
    public const string FeedsNotSupported =
        "Feeds are not supported: this platform runs no feed providers (a feed action is invoked with lifecycle events and its "
        + "provider fires the trigger later with a credential it keeps, which Carapace never hands to an action). Create the "
        + "trigger without the 'feed' annotation and fire it yourself (POST /namespaces/{namespace}/triggers/{name}).";

    private const string Collection = "/api/v1/namespaces/{ns}/triggers";
    private const string Item = Collection + "/{name}";

    public void Map(IEndpointRouteBuilder routes)
    {
        routes.MapGet(Collection, ListAsync);
        routes.MapGet(Item, GetAsync);
        routes.MapPut(Item, PutAsync);
        routes.MapDelete(Item, DeleteAsync);
        routes.MapPost(Item, firing.FireAsync);
    }

    private Task ListAsync(HttpContext context) =>
        EntityList.WriteAsync(context, "triggers", (ns, skip) => triggers.CountTriggers(ns, skip), triggers.ListTriggers, r => (JsonNode)TriggerJson.Trigger(r));

    private async Task GetAsync(HttpContext context)
    {
        if (await EntityRoute.ResolveAsync(context, "trigger").ConfigureAwait(false) is not { } target)
        {
            return;
        }

        if (triggers.GetTrigger(target.Namespace, target.Name) is not { } trigger)
        {
            await ApiError.WriteAsync(context, StatusCodes.Status404NotFound, ApiError.ResourceDoesNotExist).ConfigureAwait(false);
            return;
        }

        await JsonOutput.WriteAsync(context, StatusCodes.Status200OK, TriggerJson.Trigger(trigger, triggers.RulesOf(target.Namespace, target.Name)))
            .ConfigureAwait(false);
    }

    private async Task PutAsync(HttpContext context)
    {
        if (await EntityRoute.ReadPutAsync(context, "trigger").ConfigureAwait(false) is not { } put)
        {
            return;
        }

        var target = (put.Namespace, put.Name);
        var overwrite = put.Overwrite;
        using var document = put.Body;

        var errors = new List<string>();
        var root = document.RootElement;
        var definition = new TriggerDefinition
        {
            Annotations = EntityBody.KeyValues(root, "annotations", errors),
            Parameters = EntityBody.KeyValues(root, "parameters", errors),
            Publish = EntityBody.Publish(root, errors),
        };
        if (root.TryGetProperty("limits", out var limits) && limits.ValueKind is not (JsonValueKind.Object or JsonValueKind.Null))
        {
            errors.Add("'limits' of a trigger must be an object (triggers have no limits to set: send {}).");
        }

        if (errors.Count > 0)
        {
            await ApiError.WriteAsync(context, StatusCodes.Status400BadRequest, string.Join(" ", errors)).ConfigureAwait(false);
            return;
        }

        if (definition.Annotations?.Any(a => a.Key == FeedAnnotation) == true)
        {
            TriggerLog.FeedRefused(logger, $"/{target.Namespace}/{target.Name}");
            await ApiError.WriteAsync(context, StatusCodes.Status501NotImplemented, FeedsNotSupported).ConfigureAwait(false);
            return;
        }

        var result = triggers.PutTrigger(target.Namespace, target.Name, definition, overwrite);
        if (result.Entity is not { } stored)
        {
            await ApiError.WriteAsync(context, StatusOf(result.Status), result.Error ?? "The trigger was not stored.").ConfigureAwait(false);
            return;
        }

        TriggerLog.TriggerStored(logger, $"/{stored.Namespace}/{stored.Name}", stored.Version);
        await JsonOutput.WriteAsync(context, StatusCodes.Status200OK, TriggerJson.Trigger(stored, triggers.RulesOf(stored.Namespace, stored.Name)))
            .ConfigureAwait(false);
    }

    private async Task DeleteAsync(HttpContext context)
    {
        if (await EntityRoute.ResolveAsync(context, "trigger").ConfigureAwait(false) is not { } target)
        {
            return;
        }

        var rules = triggers.RulesOf(target.Namespace, target.Name);
        if (triggers.DeleteTrigger(target.Namespace, target.Name) is not { } deleted)
        {
            await ApiError.WriteAsync(context, StatusCodes.Status404NotFound, ApiError.ResourceDoesNotExist).ConfigureAwait(false);
            return;
        }

        TriggerLog.TriggerDeleted(logger, $"/{deleted.Namespace}/{deleted.Name}");
        await JsonOutput.WriteAsync(context, StatusCodes.Status200OK, TriggerJson.Trigger(deleted, rules)).ConfigureAwait(false);
    }

    internal static int StatusOf(PutEntityStatus status) => status switch
    {
        PutEntityStatus.Conflict => StatusCodes.Status409Conflict,
        PutEntityStatus.NamespaceNotFound => StatusCodes.Status404NotFound,
        _ => StatusCodes.Status400BadRequest,
    };
}
