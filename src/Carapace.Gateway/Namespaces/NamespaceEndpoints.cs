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
/// route gives, newest first and at most <see cref="PageRequest.MaxLimit"/> per kind (the list routes page further).
/// </summary>
/// <remarks>
/// Also <c>GET /api/v1/namespaces/{ns}/limits</c>: OpenWhisk's namespace limits with the values this platform enforces.
/// There is no per-minute rate (admission is by concurrency and a bounded queue), so <c>invocationsPerMinute</c> and
/// <c>firesPerMinute</c> are absent, as OpenWhisk leaves out what is not set.
/// </remarks>
internal sealed class NamespaceEndpoints(ActionRegistry registry, GatewayOptions options, Entities.EntityRegistries entities)
{
    public void Map(IEndpointRouteBuilder routes)
    {
        routes.MapGet("/api/v1/namespaces/{ns}", GetAsync);
        routes.MapGet("/api/v1/namespaces/{ns}/limits", LimitsAsync);
    }

    private async Task LimitsAsync(HttpContext context)
    {
        if (await NamespaceScope.ResolveAsync(context).ConfigureAwait(false) is null)
        {
            return;
        }

        var limits = new JsonObject();
        if (options.Invocations is { } invocations)
        {
            limits["concurrentInvocations"] = invocations.PerNamespaceConcurrency;
        }

        limits["minActionMemory"] = ActionLimits.MinMemoryMiB;
        limits["maxActionMemory"] = ActionLimits.MaxMemoryMiB;
        limits["minActionLogs"] = ActionLimits.LogsMb;
        limits["maxActionLogs"] = ActionLimits.LogsMb;
        limits["minActionTimeout"] = ActionLimits.MinTimeoutMs;
        limits["maxActionTimeout"] = ActionLimits.MaxTimeoutMs;
        limits["minActionConcurrency"] = ActionLimits.Concurrency;
        limits["maxActionConcurrency"] = ActionLimits.Concurrency;
        // OpenWhisk writes sizes as "<n> B|KB|MB|GB".
        limits["maxParameterSize"] = $"{KeyValueRules.MaxBytes} B";
        limits["maxPayloadSize"] = $"{options.MaxInvocationBytes} B";
        if (options.Invocations is { } running)
        {
            limits["maxActionInstances"] = running.PerNamespaceConcurrency;
        }

        await JsonOutput.WriteAsync(context, StatusCodes.Status200OK, limits).ConfigureAwait(false);
    }

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
            ["packages"] = new JsonArray([.. entities.Packages.List(ns, page).Select(p => (JsonNode)Packages.PackageJson.Render(p))]),
            ["rules"] = new JsonArray([.. entities.Triggers.ListRules(ns, page).Select(r => (JsonNode)Triggers.TriggerJson.Rule(r))]),
            ["triggers"] = new JsonArray([.. entities.Triggers.ListTriggers(ns, page).Select(t => (JsonNode)Triggers.TriggerJson.Trigger(t))]),
        }).ConfigureAwait(false);
    }
}
