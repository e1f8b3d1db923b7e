using System.Text.Json;
using System.Text.Json.Nodes;
using Carapace.Controller.Activations;
using Carapace.Controller.Invocation;
using Carapace.Controller.Registry;
using Carapace.Controller.Scheduling;
using Carapace.Envelope.Format;
using Carapace.Gateway.Actions;
using Carapace.Gateway.Activations;
using Carapace.Gateway.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;

namespace Carapace.Gateway.Invocations;

/// <summary>
/// <c>POST /api/v1/namespaces/{ns}/actions/{name}</c> (<c>blocking</c>, <c>result</c>, <c>timeout</c>): OpenWhisk's action invocation.
/// A confidential action takes and returns envelopes (<see cref="EnvelopeMediaType"/>) that only enclaves open; a
/// plaintext action takes and returns JSON, sealed and opened for the enclave by the <see cref="IPlaintextBridge"/>.
/// </summary>
internal sealed class InvokeEndpoints(
    ActivationStore activations, InvocationService? invocations, IPlaintextBridge? plaintext,
    long maxInvocationBytes, TimeSpan blockingWait, ILogger logger)
{
    /// <summary>The media type of envelopes.</summary>
    public const string EnvelopeMediaType = "application/vnd.carapace.envelope";

    /// <summary>The response header with the activation id of a <c>result=true</c> response.</summary>
    public const string ActivationHeader = "Carapace-Activation-Id";

    /// <summary>OpenWhisk's header with the activation id of an invocation's answer (blocking or not).</summary>
    public const string OpenWhiskActivationHeader = "x-openwhisk-activation-id";

    /// <summary>The response header with the receipts, base64, comma-separated, in step order.</summary>
    public const string ReceiptsHeader = "Carapace-Receipts";

    /// <summary>The response header saying whether an enclave was specialised for the request.</summary>
    public const string ColdHeader = "Carapace-Cold";

    private const string Item = "/api/v1/namespaces/{ns}/actions/{name}";

    public void Map(IEndpointRouteBuilder routes)
    {
        routes.MapPost(Item, InvokeAsync);
        routes.MapPost(ActionEndpoints.PackagedItem, InvokeAsync);
        routes.MapGet("/api/v1/namespaces/{ns}/activations/{id}/receipts", ReceiptsAsync);
    }

    private async Task InvokeAsync(HttpContext context)
    {
        using var invoke = GatewayTelemetry.Stages.Start("invoke");
        using var parse = GatewayTelemetry.Stages.Start("parse");
        if (await ActionEndpoints.ResolveNameAsync(context).ConfigureAwait(false) is not { } name)
        {
            return;
        }

        string? error = null;
        if (!QueryArgs.TryBool(context.Request, "blocking", false, out var blocking, out error)
            || !QueryArgs.TryBool(context.Request, "result", false, out var resultOnly, out error)
            || !TryWait(context.Request, out var wait, out error))
        {
            await ApiError.WriteAsync(context, StatusCodes.Status400BadRequest, error!).ConfigureAwait(false);
            return;
        }

        if (invocations is null)
        {
            await ApiError.WriteAsync(context, StatusCodes.Status503ServiceUnavailable,
                "This gateway has no controller and worker to run actions; start the platform with 'carapace up'.").ConfigureAwait(false);
            return;
        }

        // Resolved once, here: the plan says how to take the body (envelope or JSON) and is what the controller runs.
        InvocationPlan plan;
        try
        {
            plan = invocations.Plan(name, context.RequestAborted);
        }
        catch (InvocationRejectedException e)
        {
            await WriteRejectionAsync(context, e).ConfigureAwait(false);
            return;
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            return;
        }

        var body = await RequestBody.ReadAsync(context.Request, maxInvocationBytes, context.RequestAborted).ConfigureAwait(false);
        if (body is null)
        {
            await ApiError.WriteAsync(context, StatusCodes.Status413PayloadTooLarge, ApiError.TooLarge(maxInvocationBytes)).ConfigureAwait(false);
            return;
        }

        var confidential = plan.Confidential;
        var input = confidential ? await ConfidentialInputAsync(context, body).ConfigureAwait(false)
            : await PlaintextInputAsync(context, plan.Root, plan.First, body).ConfigureAwait(false);
        if (input is null)
        {
            return;
        }

        parse.Dispose();
        invoke.Activity?.SetTag("carapace.confidential", confidential);
        invoke.Activity?.SetTag("carapace.blocking", blocking);
        var request = new InvocationRequest { Action = name, Subject = GatewayRequest.Of(context).Namespace!, SealedInput = input, Plan = plan };
        PendingInvocation pending;
        try
        {
            // A non-blocking invocation is answered as soon as it is recorded; the controller's queue waits for a slot.
            pending = blocking
                ? await invocations.StartAsync(request, context.RequestAborted).ConfigureAwait(false)
                : invocations.Enqueue(request, context.RequestAborted);
        }
        catch (InvocationRejectedException e)
        {
            await WriteRejectionAsync(context, e).ConfigureAwait(false);
            return;
        }
        catch (QueueFullException e)
        {
            GatewayLog.Throttled(logger, name.Namespace);
            context.Response.Headers.RetryAfter = "1";
            await ApiError.WriteAsync(context, StatusCodes.Status429TooManyRequests, e.Message).ConfigureAwait(false);
            return;
        }

        context.Response.Headers[OpenWhiskActivationHeader] = pending.ActivationId.ToString();
        if (!blocking)
        {
            await JsonOutput.WriteAsync(context, StatusCodes.Status202Accepted,
                new JsonObject { ["activationId"] = pending.ActivationId.ToString() }).ConfigureAwait(false);
            return;
        }

        InvocationResult result;
        try
        {
            result = await pending.Completion.WaitAsync(wait, context.RequestAborted).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // As OpenWhisk: a blocking call that outlasts the wait turns into a non-blocking one.
            await JsonOutput.WriteAsync(context, StatusCodes.Status202Accepted,
                new JsonObject { ["activationId"] = pending.ActivationId.ToString() }).ConfigureAwait(false);
            return;
        }

        if (result.RetryAfter is not null || result.StorageFull)
        {
            await WriteUnavailableAsync(context, name, result).ConfigureAwait(false);
            return;
        }

        invoke.Activity?.SetTag("carapace.activation_id", result.ActivationId.ToString());
        using (GatewayTelemetry.Stages.Start("respond"))
        {
            await WriteResultAsync(context, confidential, result, resultOnly).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// OpenWhisk's <c>timeout</c> of a blocking invocation: how many milliseconds (1 up to the gateway's blocking wait)
    /// to wait before answering 202 with the activation id; the blocking wait when absent.
    /// </summary>
    private bool TryWait(HttpRequest request, out TimeSpan wait, out string? error)
    {
        wait = blockingWait;
        error = null;
        var text = request.Query["timeout"].ToString();
        if (text.Length == 0)
        {
            return true;
        }

        var max = (long)blockingWait.TotalMilliseconds;
        if (!long.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var ms)
            || ms <= 0 || ms > max)
        {
            // OpenWhisk's sentence.
            error = $"Timeout must be number of milliseconds up to {max}.";
            return false;
        }

        wait = TimeSpan.FromMilliseconds(ms);
        return true;
    }

    private static Task WriteRejectionAsync(HttpContext context, InvocationRejectedException e) => e.Reason switch
    {
        // OpenWhisk's own sentence for a missing entity, as every other route answers it.
        InvocationRejection.NotFound => ApiError.WriteAsync(context, StatusCodes.Status404NotFound, ApiError.ResourceDoesNotExist),
        InvocationRejection.NotRunnable => ApiError.WriteAsync(context, StatusCodes.Status502BadGateway, e.Message),
        _ => ApiError.WriteAsync(context, StatusCodes.Status400BadRequest, e.Message),
    };

    /// <summary>
    /// A step could not start because the KMS is unavailable (503 with <c>Retry-After</c>), or the outcome could not be
    /// written because the disk is full (507): OpenWhisk's error body with the recorded reason and the activation id.
    /// </summary>
    private async Task WriteUnavailableAsync(HttpContext context, ActionName name, InvocationResult result)
    {
        var status = StatusCodes.Status507InsufficientStorage;
        if (result.RetryAfter is { } wait)
        {
            var seconds = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds));
            GatewayLog.KmsUnavailable(logger, result.ActivationId.ToString(), name.Path, seconds);
            context.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            status = StatusCodes.Status503ServiceUnavailable;
        }

        context.Response.Headers[ActivationHeader] = result.ActivationId.ToString();
        await JsonOutput.WriteAsync(context, status, new JsonObject
        {
            ["error"] = result.Error ?? Controller.Storage.StorageFull.Message,
            ["code"] = GatewayRequest.Of(context).Id,
            ["activationId"] = result.ActivationId.ToString(),
        }).ConfigureAwait(false);
    }

    private static async Task<byte[]?> ConfidentialInputAsync(HttpContext context, byte[] body)
    {
        var type = context.Request.ContentType;
        if (type is null || !type.Split(';')[0].Trim().Equals(EnvelopeMediaType, StringComparison.OrdinalIgnoreCase))
        {
            await ApiError.WriteAsync(context, StatusCodes.Status415UnsupportedMediaType,
                $"This action is confidential: its input must be an envelope sealed for it (Content-Type: {EnvelopeMediaType}), "
                + $"not '{type ?? "none"}'; seal it with 'carapace invoke' or the Carapace client SDK.").ConfigureAwait(false);
            return null;
        }

        return body;
    }

    private async Task<byte[]?> PlaintextInputAsync(HttpContext context, ActionRecord action, ActionRecord first, byte[] body)
    {
        if (plaintext is null)
        {
            await ApiError.WriteAsync(context, StatusCodes.Status502BadGateway,
                $"The action {action.Name} is not confidential, and this gateway cannot run plaintext actions.").ConfigureAwait(false);
            return null;
        }

        JsonObject parameters;
        try
        {
            var node = body.Length == 0 ? new JsonObject() : JsonNode.Parse(body);
            if (node is not JsonObject given)
            {
                await ApiError.WriteAsync(context, StatusCodes.Status400BadRequest,
                    "The request content was malformed: the parameters of an invocation must be a JSON object.").ConfigureAwait(false);
                return null;
            }

            parameters = given;
        }
        catch (JsonException)
        {
            await ApiError.WriteAsync(context, StatusCodes.Status400BadRequest,
                "The request content was malformed: the body is not valid JSON.").ConfigureAwait(false);
            return null;
        }

        // As OpenWhisk: a request may not set a parameter the action (annotated final: true) defines.
        var final = Web.WebAnnotations.Of(action).FinalParameters;
        if (parameters.Any(p => final.Contains(p.Key)))
        {
            await ApiError.WriteAsync(context, StatusCodes.Status400BadRequest, Web.WebMessages.ParametersNotAllowed).ConfigureAwait(false);
            return null;
        }

        // As OpenWhisk: the action's default parameters under the request's; for a sequence, the sequence's, and then
        // its first component's own under those.
        PlaintextBridge.WithDefaults(parameters, action.Parameters);
        if (!ReferenceEquals(first, action))
        {
            PlaintextBridge.WithDefaults(parameters, first.Parameters);
        }

        try
        {
            return plaintext.Seal(first, RequestId.New(), JsonSerializer.SerializeToUtf8Bytes(parameters));
        }
        catch (ActionNotRunnableException e)
        {
            // A definition an older version stored unchecked: the deployer's error, answered without a stack trace.
            GatewayLog.NotRunnable(logger, first.Name.ToString(), GatewayRequest.Of(context).Id, e.Message);
            await ApiError.WriteAsync(context, StatusCodes.Status400BadRequest, $"The action {first.Name} cannot run: {e.Message}").ConfigureAwait(false);
            return null;
        }
    }

    private async Task WriteResultAsync(HttpContext context, bool confidential, InvocationResult result, bool resultOnly)
    {
        var headers = context.Response.Headers;
        headers[ActivationHeader] = result.ActivationId.ToString();
        headers[ColdHeader] = result.ColdStart ? "true" : "false";
        if (result.Receipts.Count > 0)
        {
            headers[ReceiptsHeader] = string.Join(',', result.Receipts.Select(r => Convert.ToBase64String(r.Span)));
        }

        var status = result.Replayed ? StatusCodes.Status409Conflict
            : result.Status == ActivationStatus.Success ? StatusCodes.Status200OK
            : StatusCodes.Status502BadGateway;
        if (resultOnly && confidential && result.Status == ActivationStatus.Success && result.SealedOutput is { } output)
        {
            context.Response.StatusCode = status;
            context.Response.ContentType = EnvelopeMediaType;
            context.Response.ContentLength = output.Length;
            await context.Response.Body.WriteAsync(output, context.RequestAborted).ConfigureAwait(false);
            return;
        }

        var record = activations.Get(result.ActivationId);
        if (record?.Response is not { } response)
        {
            await ApiError.WriteAsync(context, StatusCodes.Status500InternalServerError, ApiError.InternalError).ConfigureAwait(false);
            return;
        }

        var responseJson = ActivationJson.Response(response);
        if (confidential)
        {
            AddSealed(responseJson, activations.GetOutput(result.ActivationId));
        }

        if (resultOnly)
        {
            await JsonOutput.WriteAsync(context, status, responseJson["result"]!.DeepClone()).ConfigureAwait(false);
            return;
        }

        var full = ActivationJson.Full(record, confidential ? null : activations.GetSealedLogs(record.ActivationId));
        full["response"] = responseJson;
        await JsonOutput.WriteAsync(context, status, full).ConfigureAwait(false);
    }

    /// <summary>Adds the sealed output (base64) and the receipts to a confidential activation's result object.</summary>
    internal static void AddSealed(JsonObject response, ActivationOutput? output)
    {
        if (output is null || response["result"] is not JsonObject result)
        {
            return;
        }

        if (output.SealedOutput is { } envelope)
        {
            result["envelope"] = Convert.ToBase64String(envelope);
        }

        result["receipts"] = new JsonArray([.. output.Receipts.Select(r => (JsonNode)Convert.ToBase64String(r))]);
    }

    private async Task ReceiptsAsync(HttpContext context)
    {
        if (await ActivationEndpoints.FindAsync(context, activations).ConfigureAwait(false) is not { } record)
        {
            return;
        }

        var output = activations.GetOutput(record.ActivationId);
        await JsonOutput.WriteAsync(context, StatusCodes.Status200OK, new JsonObject
        {
            ["activationId"] = record.ActivationId.ToString(),
            ["receipts"] = new JsonArray([.. (output?.Receipts ?? []).Select(r => (JsonNode)Convert.ToBase64String(r))]),
        }).ConfigureAwait(false);
    }
}
