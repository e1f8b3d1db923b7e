using System.Text.Json;
using System.Text.Json.Nodes;
using Carapace.Controller.Activations;
using Carapace.Controller.Invocation;
using Carapace.Controller.Registry;
using Carapace.Controller.Scheduling;
using Carapace.Envelope.Format;
using Carapace.Gateway.Http;
using Carapace.Gateway.Invocations;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;

namespace Carapace.Gateway.Web;

/// <summary>
/// OpenWhisk's web actions: <c>/api/v1/web/{namespace}/{package}/{action}.{ext}</c> (package <c>default</c> for an
/// action outside packages) runs an action annotated <c>web-export: true</c> for anyone who has the address, with the
/// HTTP request as its input (<see cref="WebArguments"/>) and its result as the HTTP response (<see cref="WebResults"/>).
/// <c>require-whisk-auth</c> secures it (<c>true</c>: the namespace's own credential; a string or number: that value
/// in <c>X-Require-Whisk-Auth</c>). Only plaintext actions are served: a confidential action's envelopes need a
/// client that seals and opens them, which a plain HTTP request is not.
/// </summary>
internal sealed class WebEndpoints(
    Func<string, string, string, ActionRecord?> resolve, ActivationStore activations, InvocationService? invocations,
    IPlaintextBridge? plaintext, long maxInvocationBytes, TimeSpan blockingWait, ILogger logger)
{
    /// <summary>The prefix of the web route; requests under it need no credential (the action's annotation decides).</summary>
    public const string Prefix = "/api/v1/web";

    /// <summary>The package segment of an action outside packages.</summary>
    public const string DefaultPackage = "default";

    private const string Route = Prefix + "/{ns}/{pkg}/{action}/{**rest}";

    /// <summary>True when <paramref name="path"/> is under the web route (where a credential is optional).</summary>
    public static bool IsWebPath(PathString path) => path.StartsWithSegments(Prefix, StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Looks actions up in <paramref name="registry"/>: <c>default</c> is the namespace's own actions, any other
    /// package is resolved as OpenWhisk's packages are (a binding to its package), with the package's parameters under
    /// the action's.
    /// </summary>
    public static Func<string, string, string, ActionRecord?> RegistryLookup(ActionRegistry registry) => (ns, pkg, name) =>
        registry.GetResolved(RequestedName(ns, pkg, name));

    /// <summary>The name an invocation through the web route runs under: <c>/ns/name</c>, or <c>/ns/pkg/name</c> (a binding's too).</summary>
    private static ActionName RequestedName(string ns, string pkg, string name) =>
        pkg == DefaultPackage ? ActionName.Of(ns, name) : ActionName.Of(ns, pkg, name);

    public void Map(IEndpointRouteBuilder routes) =>
        routes.MapMethods(Route, ["GET", "DELETE", "POST", "PUT", "HEAD", "OPTIONS", "PATCH"], ServeAsync);

    private async Task ServeAsync(HttpContext context)
    {
        using var web = GatewayTelemetry.Stages.Start("web");
        var values = context.Request.RouteValues;
        var ns = values["ns"] as string;
        var pkg = values["pkg"] as string;
        var (name, extension) = WebResults.Split(values["action"] as string ?? "");
        if (!ActionName.IsValidPart(ns) || pkg is null || pkg != DefaultPackage && !ActionName.IsValidPart(pkg) || !ActionName.IsValidPart(name)
            || resolve(ns, pkg, name) is not { } action)
        {
            await ApiError.WriteAsync(context, StatusCodes.Status404NotFound, ApiError.ResourceDoesNotExist).ConfigureAwait(false);
            return;
        }

        var annotations = WebAnnotations.Of(action);
        if (!annotations.Exported)
        {
            // As OpenWhisk: an action that is not exported is not there, for the web.
            await ApiError.WriteAsync(context, StatusCodes.Status404NotFound, ApiError.ResourceDoesNotExist).ConfigureAwait(false);
            return;
        }

        if (context.Request.ContentLength is { } declared && declared > maxInvocationBytes)
        {
            await ApiError.WriteAsync(context, StatusCodes.Status413PayloadTooLarge, ApiError.TooLarge(maxInvocationBytes)).ConfigureAwait(false);
            return;
        }

        var isOptions = HttpMethods.IsOptions(context.Request.Method);
        if (!annotations.CustomOptionsHandled)
        {
            WebAccess.AddCors(context);
            if (isOptions)
            {
                context.Response.StatusCode = StatusCodes.Status200OK;
                context.Response.ContentLength = 0;
                await context.Response.StartAsync(context.RequestAborted).ConfigureAwait(false);
                return;
            }
        }

        // An action that answers OPTIONS itself is run for it without the credential check, as OpenWhisk does.
        if (!(annotations.CustomOptionsHandled && isOptions) && !WebAccess.Authorized(context, annotations, ns!))
        {
            await ApiError.WriteAsync(context, StatusCodes.Status401Unauthorized, WebMessages.Unauthorized).ConfigureAwait(false);
            return;
        }

        if (action.Confidential)
        {
            await ApiError.WriteAsync(context, StatusCodes.Status400BadRequest, WebMessages.Confidential(action.Name.ToString())).ConfigureAwait(false);
            return;
        }

        if (invocations is null || plaintext is null)
        {
            await ApiError.WriteAsync(context, StatusCodes.Status503ServiceUnavailable,
                "This gateway has no controller and worker to run actions; start the platform with 'carapace up'.").ConfigureAwait(false);
            return;
        }

        var body = await RequestBody.ReadAsync(context.Request, maxInvocationBytes, context.RequestAborted).ConfigureAwait(false);
        if (body is null)
        {
            await ApiError.WriteAsync(context, StatusCodes.Status413PayloadTooLarge, ApiError.TooLarge(maxInvocationBytes)).ConfigureAwait(false);
            return;
        }

        var caller = GatewayRequest.Of(context).Namespace;
        var input = WebArguments.Build(context.Request, body, OwPath(context.Request.Path), caller, annotations, credentialConsumed: caller is not null);
        if (input.Arguments is not { } arguments)
        {
            await ApiError.WriteAsync(context, input.Status, input.Error!).ConfigureAwait(false);
            return;
        }

        // Through a binding, the action runs under the binding's name, as an invocation of it would.
        await RunAsync(context, invocations, plaintext, RequestedName(ns!, pkg, name), arguments, extension).ConfigureAwait(false);
    }

    private async Task RunAsync(HttpContext context, InvocationService invocations, IPlaintextBridge bridge, ActionName name,
        JsonObject arguments, string extension)
    {
        PendingInvocation pending;
        try
        {
            var plan = invocations.Plan(name, context.RequestAborted);
            if (plan.Confidential)
            {
                await ApiError.WriteAsync(context, StatusCodes.Status400BadRequest, WebMessages.Confidential(name.ToString())).ConfigureAwait(false);
                return;
            }

            // The action's default parameters under the request's (a sequence's, then its first component's).
            PlaintextBridge.WithDefaults(arguments, plan.Root.Parameters);
            if (!ReferenceEquals(plan.First, plan.Root))
            {
                PlaintextBridge.WithDefaults(arguments, plan.First.Parameters);
            }

            var sealedInput = bridge.Seal(plan.First, RequestId.New(), JsonSerializer.SerializeToUtf8Bytes(arguments));
            var request = new InvocationRequest { Action = name, Subject = name.Namespace, SealedInput = sealedInput, Plan = plan };
            pending = await invocations.StartAsync(request, context.RequestAborted).ConfigureAwait(false);
        }
        catch (InvocationRejectedException e)
        {
            await (e.Reason == InvocationRejection.NotFound
                ? ApiError.WriteAsync(context, StatusCodes.Status404NotFound, ApiError.ResourceDoesNotExist)
                : ApiError.WriteAsync(context, StatusCodes.Status400BadRequest, e.Message)).ConfigureAwait(false);
            return;
        }
        catch (ActionNotRunnableException e)
        {
            GatewayLog.NotRunnable(logger, name.ToString(), GatewayRequest.Of(context).Id, e.Message);
            await ApiError.WriteAsync(context, StatusCodes.Status400BadRequest, $"The action {name} cannot run: {e.Message}").ConfigureAwait(false);
            return;
        }
        catch (QueueFullException e)
        {
            GatewayLog.Throttled(logger, name.Namespace);
            context.Response.Headers.RetryAfter = "1";
            await ApiError.WriteAsync(context, StatusCodes.Status429TooManyRequests, e.Message).ConfigureAwait(false);
            return;
        }

        context.Response.Headers[InvokeEndpoints.OpenWhiskActivationHeader] = pending.ActivationId.ToString();
        InvocationResult result;
        try
        {
            result = await pending.Completion.WaitAsync(blockingWait, context.RequestAborted).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            await ApiError.WriteAsync(context, StatusCodes.Status202Accepted, WebMessages.ResponseNotReady).ConfigureAwait(false);
            return;
        }

        if (result.RetryAfter is { } wait)
        {
            context.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
            await ApiError.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, result.Error ?? WebMessages.ErrorProcessingRequest).ConfigureAwait(false);
            return;
        }

        if (result.StorageFull)
        {
            await ApiError.WriteAsync(context, StatusCodes.Status507InsufficientStorage, Controller.Storage.StorageFull.Message).ConfigureAwait(false);
            return;
        }

        var response = activations.Get(result.ActivationId)?.Response;
        var reply = response?.Status switch
        {
            ActivationStatus.Success => WebResults.Render(extension, JsonNode.Parse(response.Result.GetRawText())),
            // As OpenWhisk: an application error answers with its 'error' value, rendered like a result.
            ActivationStatus.ApplicationError => JsonNode.Parse(response.Result.GetRawText()) is JsonObject failed && failed.TryGetPropertyValue("error", out var error)
                ? WebResults.Render(extension, error)
                : WebReply.Failure(StatusCodes.Status404NotFound, WebMessages.PropertyNotFound),
            _ => WebReply.Failure(StatusCodes.Status400BadRequest, WebMessages.ErrorProcessingRequest),
        };
        await WriteAsync(context, reply).ConfigureAwait(false);
    }

    private static async Task WriteAsync(HttpContext context, WebReply reply)
    {
        if (reply.Error is { } error)
        {
            await ApiError.WriteAsync(context, reply.Status, error).ConfigureAwait(false);
            return;
        }

        var response = context.Response;
        response.StatusCode = reply.Status;
        foreach (var group in reply.Headers.GroupBy(h => h.Key, StringComparer.OrdinalIgnoreCase))
        {
            // The result's headers replace the route's own of the same name (e.g. its CORS headers).
            response.Headers[group.Key] = group.Select(h => h.Value).ToArray();
        }

        if (reply.ContentType is { } type)
        {
            response.ContentType = type;
        }

        response.ContentLength = reply.Body.Length;
        await response.StartAsync(context.RequestAborted).ConfigureAwait(false);
        if (reply.Body.Length > 0 && !HttpMethods.IsHead(context.Request.Method))
        {
            await response.Body.WriteAsync(reply.Body, context.RequestAborted).ConfigureAwait(false);
        }
    }

    /// <summary>The path after the action's segment, e.g. <c>/a/b</c> of <c>/api/v1/web/ns/pkg/action.http/a/b</c>; empty when none.</summary>
    private static string OwPath(PathString path)
    {
        var text = path.Value ?? "";
        var index = 0;
        for (var slashes = 0; slashes < 7; slashes++)
        {
            index = text.IndexOf('/', index) + 1;
            if (index == 0)
            {
                return "";
            }
        }

        return text[(index - 1)..];
    }
}
