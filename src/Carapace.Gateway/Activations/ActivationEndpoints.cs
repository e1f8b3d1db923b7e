using System.Text.Json.Nodes;
using Carapace.Controller.Activations;
using Carapace.Controller.Registry;
using Carapace.Gateway.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Carapace.Gateway.Activations;

/// <summary>
/// <c>/api/v1/namespaces/{ns}/activations</c>: list (<c>skip</c>, <c>limit</c>, <c>name</c>, <c>docs</c>, <c>since</c>
/// and <c>upto</c> in milliseconds since the epoch, both inclusive, or <c>count</c>), get one,
/// its <c>/logs</c> and its <c>/result</c>, over the controller's <see cref="ActivationStore"/>. An activation of
/// another namespace is reported as not existing.
/// </summary>
internal sealed class ActivationEndpoints(ActivationStore store)
{
    private const string Collection = "/api/v1/namespaces/{ns}/activations";
    private const string Item = Collection + "/{id}";

    public void Map(IEndpointRouteBuilder routes)
    {
        routes.MapGet(Collection, ListAsync);
        routes.MapGet(Item, GetAsync);
        routes.MapGet(Item + "/logs", LogsAsync);
        routes.MapGet(Item + "/result", ResultAsync);
    }

    private async Task ListAsync(HttpContext context)
    {
        if (await NamespaceScope.ResolveAsync(context).ConfigureAwait(false) is not { } ns)
        {
            return;
        }

        string? error = null;
        var name = context.Request.Query["name"].ToString();
        if (!QueryArgs.TryPage(context.Request, out var page, out error)
            || !QueryArgs.TryBool(context.Request, "docs", false, out var docs, out error)
            || !QueryArgs.TryBool(context.Request, "count", false, out var count, out error)
            || !QueryArgs.TryEpochMilliseconds(context.Request, "since", out var since, out error)
            || !QueryArgs.TryEpochMilliseconds(context.Request, "upto", out var upto, out error))
        {
            await ApiError.WriteAsync(context, StatusCodes.Status400BadRequest, error!).ConfigureAwait(false);
            return;
        }

        if (count && docs)
        {
            // OpenWhisk's sentence.
            await ApiError.WriteAsync(context, StatusCodes.Status400BadRequest, "The parameter 'docs' is not permitted with 'count'.")
                .ConfigureAwait(false);
            return;
        }

        // OpenWhisk's filter: a simple name or "package/name".
        if (name.Length > 0 && !ActionName.IsValidName(name))
        {
            await ApiError.WriteAsync(context, StatusCodes.Status400BadRequest, $"The value '{name}' of 'name' is not a valid action name.")
                .ConfigureAwait(false);
            return;
        }

        if (count)
        {
            // OpenWhisk's count: {"activations": N}, those the same filters list, past 'skip'.
            await JsonOutput.WriteAsync(context, StatusCodes.Status200OK,
                new JsonObject { ["activations"] = store.Count(ns, name.Length > 0 ? name : null, page.Skip, since, upto) }).ConfigureAwait(false);
            return;
        }

        var records = store.List(ns, name.Length > 0 ? name : null, page, since, upto);
        var list = new JsonArray([.. records.Select(r => (JsonNode)(docs
            ? ActivationJson.Full(r, r.Confidential ? null : store.GetSealedLogs(r.ActivationId))
            : ActivationJson.Summary(r)))]);
        await JsonOutput.WriteAsync(context, StatusCodes.Status200OK, list).ConfigureAwait(false);
    }

    private async Task GetAsync(HttpContext context)
    {
        if (await FindAsync(context, store).ConfigureAwait(false) is { } record && await FinishedAsync(context, record).ConfigureAwait(false))
        {
            var logs = record.Confidential ? null : store.GetSealedLogs(record.ActivationId);
            await JsonOutput.WriteAsync(context, StatusCodes.Status200OK, ActivationJson.Full(record, logs)).ConfigureAwait(false);
        }
    }

    private async Task LogsAsync(HttpContext context)
    {
        if (await FindAsync(context, store).ConfigureAwait(false) is { } record && await FinishedAsync(context, record).ConfigureAwait(false))
        {
            var logs = store.GetSealedLogs(record.ActivationId);
            var body = new JsonObject();
            foreach (var (key, value) in ActivationJson.Logs(record, logs))
            {
                body[key] = value;
            }

            await JsonOutput.WriteAsync(context, StatusCodes.Status200OK, body).ConfigureAwait(false);
        }
    }

    private async Task ResultAsync(HttpContext context)
    {
        if (await FindAsync(context, store).ConfigureAwait(false) is not { } record
            || !await FinishedAsync(context, record).ConfigureAwait(false)
            || record.Response is not { } response)
        {
            return;
        }

        var json = ActivationJson.Response(response);
        if (record.Confidential)
        {
            // The ciphertext and the receipts, so a non-blocking caller can open and verify the result.
            Invocations.InvokeEndpoints.AddSealed(json, store.GetOutput(record.ActivationId));
        }

        await JsonOutput.WriteAsync(context, StatusCodes.Status200OK, json).ConfigureAwait(false);
    }

    /// <summary>
    /// False, after writing a 404, while <paramref name="record"/> has no response yet. OpenWhisk stores an activation
    /// only when it ends, so its clients poll <c>activations.get</c> until the 404 turns into the record; Carapace
    /// records before it runs (so a crash is never silent) but answers for the item as OpenWhisk does. Lists still
    /// show running activations: they are marked by their missing end.
    /// </summary>
    private static async Task<bool> FinishedAsync(HttpContext context, ActivationRecord record)
    {
        if (record.Response is not null)
        {
            return true;
        }

        // Retry-After tells Carapace's own clients "it exists, not yet" apart from "no such activation".
        context.Response.Headers.RetryAfter = "1";
        await ApiError.WriteAsync(context, StatusCodes.Status404NotFound,
            $"The activation {record.ActivationId} has not finished yet; ask again later.").ConfigureAwait(false);
        return false;
    }

    /// <summary>The activation a request's <c>{ns}</c> and <c>{id}</c> address, or null after writing a 403, 400 or 404.</summary>
    internal static async Task<ActivationRecord?> FindAsync(HttpContext context, ActivationStore store)
    {
        if (await NamespaceScope.ResolveAsync(context).ConfigureAwait(false) is not { } ns)
        {
            return null;
        }

        var text = context.Request.RouteValues["id"] as string;
        if (!ActivationId.TryParse(text, out var id))
        {
            await ApiError.WriteAsync(context, StatusCodes.Status400BadRequest,
                $"'{text}' is not an activation id; an id is 32 hexadecimal digits.").ConfigureAwait(false);
            return null;
        }

        if (store.Get(id) is not { } record || record.Namespace != ns)
        {
            await ApiError.WriteAsync(context, StatusCodes.Status404NotFound, ApiError.ResourceDoesNotExist).ConfigureAwait(false);
            return null;
        }

        return record;
    }
}
