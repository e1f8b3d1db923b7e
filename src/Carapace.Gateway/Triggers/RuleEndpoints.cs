using System.Text.Json;
using System.Text.Json.Nodes;
using Carapace.Controller.Registry;
using Carapace.Controller.Triggers;
using Carapace.Gateway.Entities;
using Carapace.Gateway.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;

namespace Carapace.Gateway.Triggers;

/// <summary>
/// <c>/api/v1/namespaces/{ns}/rules</c>: list, and per rule PUT (create — active — or update with
/// <c>overwrite=true</c>, keeping its status), GET, DELETE and POST <c>{"status": "active" | "inactive"}</c> (enable or
/// disable), over the controller's <see cref="TriggerRegistry"/>. A rule's trigger and action are in its namespace (the
/// action possibly in a package or reached through a binding of it).
/// </summary>
internal sealed class RuleEndpoints(TriggerRegistry triggers, ActionRegistry actions, ILogger logger)
{
    private const string Collection = "/api/v1/namespaces/{ns}/rules";
    private const string Item = Collection + "/{name}";

    public void Map(IEndpointRouteBuilder routes)
    {
        routes.MapGet(Collection, ListAsync);
        routes.MapGet(Item, GetAsync);
        routes.MapPut(Item, PutAsync);
        routes.MapDelete(Item, DeleteAsync);
        routes.MapPost(Item, SetStatusAsync);
    }

    private Task ListAsync(HttpContext context) =>
        EntityList.WriteAsync(context, "rules", (ns, skip) => triggers.CountRules(ns, skip), triggers.ListRules, r => (JsonNode)TriggerJson.Rule(r));

    private async Task GetAsync(HttpContext context)
    {
        if (await EntityRoute.ResolveAsync(context, "rule").ConfigureAwait(false) is not { } target)
        {
            return;
        }

        if (triggers.GetRule(target.Namespace, target.Name) is not { } rule)
        {
            await ApiError.WriteAsync(context, StatusCodes.Status404NotFound, ApiError.ResourceDoesNotExist).ConfigureAwait(false);
            return;
        }

        await JsonOutput.WriteAsync(context, StatusCodes.Status200OK, TriggerJson.Rule(rule)).ConfigureAwait(false);
    }

    private async Task PutAsync(HttpContext context)
    {
        if (await EntityRoute.ReadPutAsync(context, "rule").ConfigureAwait(false) is not { } put)
        {
            return;
        }

        var target = (put.Namespace, put.Name);
        var overwrite = put.Overwrite;
        using var document = put.Body;

        var errors = new List<string>();
        var root = document.RootElement;
        var trigger = Reference(root, "trigger", target.Namespace, errors);
        var action = Reference(root, "action", target.Namespace, errors);
        if (trigger is { Package: not null })
        {
            errors.Add($"'trigger' names {trigger}, but triggers are not in packages; name a trigger of namespace '{target.Namespace}'.");
        }

        foreach (var (field, name) in new[] { ("trigger", trigger), ("action", action) })
        {
            if (name is { } reference && reference.Namespace != target.Namespace)
            {
                errors.Add($"'{field}' names {reference}, in another namespace; a rule links a trigger and an action of its own namespace "
                    + $"'{target.Namespace}' (bind another namespace's published package to reach its actions).");
            }
        }

        var definition = new RuleDefinition
        {
            Trigger = trigger?.Name,
            Action = action,
            Annotations = EntityBody.KeyValues(root, "annotations", errors),
            Publish = EntityBody.Publish(root, errors),
        };
        if (root.TryGetProperty("status", out var status) && status.ValueKind != JsonValueKind.Null
            && !RuleStatusText.TryParse(EntityBody.Text(status), out _))
        {
            errors.Add("'status' must be 'active' or 'inactive' (and is set with POST /rules/{name}, not PUT).");
        }

        if (errors.Count > 0)
        {
            await ApiError.WriteAsync(context, StatusCodes.Status400BadRequest, string.Join(" ", errors)).ConfigureAwait(false);
            return;
        }

        var result = triggers.PutRule(target.Namespace, target.Name, definition, overwrite, name => actions.GetResolved(name) is not null);
        if (result.Entity is not { } stored)
        {
            await ApiError.WriteAsync(context, TriggerEndpoints.StatusOf(result.Status), result.Error ?? "The rule was not stored.").ConfigureAwait(false);
            return;
        }

        TriggerLog.RuleStored(logger, $"/{stored.Namespace}/{stored.Name}", stored.Version, $"/{stored.Namespace}/{stored.Trigger}", stored.Action.ToString());
        await JsonOutput.WriteAsync(context, StatusCodes.Status200OK, TriggerJson.Rule(stored)).ConfigureAwait(false);
    }

    private async Task DeleteAsync(HttpContext context)
    {
        if (await EntityRoute.ResolveAsync(context, "rule").ConfigureAwait(false) is not { } target)
        {
            return;
        }

        if (triggers.DeleteRule(target.Namespace, target.Name) is not { } deleted)
        {
            await ApiError.WriteAsync(context, StatusCodes.Status404NotFound, ApiError.ResourceDoesNotExist).ConfigureAwait(false);
            return;
        }

        TriggerLog.RuleDeleted(logger, $"/{deleted.Namespace}/{deleted.Name}");
        // As OpenWhisk: the deleted rule, inactive.
        await JsonOutput.WriteAsync(context, StatusCodes.Status200OK, TriggerJson.Rule(deleted with { Status = RuleStatus.Inactive }))
            .ConfigureAwait(false);
    }

    private async Task SetStatusAsync(HttpContext context)
    {
        if (await EntityRoute.ResolveAsync(context, "rule").ConfigureAwait(false) is not { } target)
        {
            return;
        }

        using var document = await EntityBody.ReadAsync(context, "rule status change").ConfigureAwait(false);
        if (document is null)
        {
            return;
        }

        var text = document.RootElement.TryGetProperty("status", out var status) ? EntityBody.Text(status) : null;
        if (!RuleStatusText.TryParse(text, out var wanted))
        {
            // OpenWhisk's sentence.
            await ApiError.WriteAsync(context, StatusCodes.Status400BadRequest,
                $"'{text ?? "(missing)"}' is not a recognized rule state, must be one of ['active', 'inactive']").ConfigureAwait(false);
            return;
        }

        switch (triggers.SetStatus(target.Namespace, target.Name, wanted))
        {
            case RuleStatusChange.RuleNotFound:
                await ApiError.WriteAsync(context, StatusCodes.Status404NotFound, ApiError.ResourceDoesNotExist).ConfigureAwait(false);
                return;
            case RuleStatusChange.TriggerNotFound:
                // OpenWhisk's sentence.
                await ApiError.WriteAsync(context, StatusCodes.Status404NotFound, "Only rules with existing triggers can be activated").ConfigureAwait(false);
                return;
            case RuleStatusChange.Changed:
                TriggerLog.RuleStatusSet(logger, $"/{target.Namespace}/{target.Name}", wanted.ToWire());
                break;
        }

        // OpenWhisk answers 200 without an entity; this body is the rule in its new state.
        await JsonOutput.WriteAsync(context, StatusCodes.Status200OK, TriggerJson.Rule(triggers.GetRule(target.Namespace, target.Name)!))
            .ConfigureAwait(false);
    }

    /// <summary>
    /// A rule's <c>trigger</c> or <c>action</c>: <c>"/ns/name"</c>, <c>"/ns/package/name"</c>, <c>"name"</c> or
    /// <c>"package/name"</c> (in the rule's namespace; <c>_</c> is the caller's), or OpenWhisk's
    /// <c>{"path": "ns" | "ns/package", "name"}</c>. Null when absent (kept from the stored rule on an update).
    /// </summary>
    private static ActionName? Reference(JsonElement root, string field, string caller, List<string> errors)
    {
        if (!root.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        string? text = null;
        if (value.ValueKind == JsonValueKind.String)
        {
            text = EntityBody.Text(value);
        }
        else if (value.ValueKind == JsonValueKind.Object
            && value.TryGetProperty("path", out var path) && EntityBody.Text(path) is { } pathText
            && value.TryGetProperty("name", out var name) && EntityBody.Text(name) is { } nameText)
        {
            text = "/" + pathText.Trim('/') + "/" + nameText;
        }

        if (text is not null)
        {
            if (!text.StartsWith('/'))
            {
                text = "/" + caller + "/" + text;
            }
            else if (text.StartsWith("/_/", StringComparison.Ordinal))
            {
                text = "/" + caller + text[2..];
            }

            if (ActionName.TryParse(text, out var parsed))
            {
                return parsed;
            }
        }

        errors.Add($"'{field}' must name {(field == "action" ? "an" : "a")} {field} as \"/namespace/name\", \"name\" or {{\"path\": \"namespace\", \"name\": \"name\"}}"
            + (field == "action" ? " (an action in a package: \"/namespace/package/name\")." : "."));
        return null;
    }
}
