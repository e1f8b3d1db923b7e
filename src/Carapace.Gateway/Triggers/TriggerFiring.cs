using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Carapace.Controller.Activations;
using Carapace.Controller.Invocation;
using Carapace.Controller.Triggers;
using Carapace.Envelope.Format;
using Carapace.Gateway.Entities;
using Carapace.Gateway.Http;
using Carapace.Gateway.Invocations;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Carapace.Gateway.Triggers;

/// <summary>
/// <c>POST /api/v1/namespaces/{ns}/triggers/{name}</c>: fires a trigger as OpenWhisk's controller does. With no active
/// rule it answers 204 and records nothing. Otherwise every rule of the trigger is dispatched — each active one starts a
/// non-blocking invocation of its action with the trigger's parameters under the payload's fields (and the action's own
/// defaults under those) — and one trigger activation is recorded: a success whose result is the payload and whose logs
/// are one JSON line per rule (<see cref="RuleActivation"/>); the answer is 202 with its id.
/// </summary>
/// <remarks>
/// A payload sent as an envelope (<c>Content-Type: application/vnd.carapace.envelope</c>) is passed, as it is, to the
/// rules whose actions are confidential; it must be sealed for the chain of that action like any invocation of it. A
/// JSON payload never reaches a confidential action (the platform cannot seal for it), and a sealed payload never
/// reaches a plaintext action: such rules are recorded as refused, saying why. The trigger activation holds only the
/// size and SHA-256 of a sealed payload. The request's headers are not passed to actions (OpenWhisk passes them as
/// <c>__ow_headers</c>, credential included).
/// </remarks>
internal sealed class TriggerFiring(
    TriggerRegistry triggers, ActivationStore activations, InvocationService? invocations, IPlaintextBridge? plaintext,
    long maxPayloadBytes, TimeProvider time, ILogger logger)
{
    public async Task FireAsync(HttpContext context)
    {
        if (await EntityRoute.ResolveAsync(context, "trigger").ConfigureAwait(false) is not { } target)
        {
            return;
        }

        var start = time.GetUtcNow();
        var body = await RequestBody.ReadAsync(context.Request, maxPayloadBytes, context.RequestAborted).ConfigureAwait(false);
        if (body is null)
        {
            await ApiError.WriteAsync(context, StatusCodes.Status413PayloadTooLarge, ApiError.TooLarge(maxPayloadBytes)).ConfigureAwait(false);
            return;
        }

        var sealedPayload = IsEnvelope(context.Request.ContentType) ? body : null;
        JsonObject? payload = null;
        if (sealedPayload is null && (payload = await PayloadAsync(context, body).ConfigureAwait(false)) is null)
        {
            return;
        }

        if (triggers.GetTrigger(target.Namespace, target.Name) is not { } trigger)
        {
            await ApiError.WriteAsync(context, StatusCodes.Status404NotFound, ApiError.ResourceDoesNotExist).ConfigureAwait(false);
            return;
        }

        var rules = triggers.RulesOf(target.Namespace, target.Name);
        if (!rules.Any(r => r.Status == RuleStatus.Active))
        {
            // As OpenWhisk: nothing to activate, no trigger activation.
            context.Response.StatusCode = StatusCodes.Status204NoContent;
            return;
        }

        if (invocations is null)
        {
            await ApiError.WriteAsync(context, StatusCodes.Status503ServiceUnavailable,
                "This gateway has no controller and worker to run the actions of the trigger's rules; start the platform with 'carapace up'.")
                .ConfigureAwait(false);
            return;
        }

        var subject = GatewayRequest.Of(context).Namespace!;
        var dispatch = new RuleDispatch(invocations, plaintext, subject, trigger, payload, sealedPayload);
        var results = rules.Select(dispatch.Activate).ToList();
        var record = activations.RecordTrigger(new TriggerActivation
        {
            Namespace = target.Namespace,
            Trigger = trigger.Name,
            Version = trigger.Version,
            Subject = subject,
            Start = start,
            Result = ResultOf(payload, sealedPayload),
            Logs = [.. results.Select(r => r.ToJson().ToJsonString())],
        });
        TriggerLog.Fired(logger, $"/{trigger.Namespace}/{trigger.Name}", record.ActivationId.ToString(), results.Count(r => r.IsSuccess), results.Count);
        context.Response.Headers[InvokeEndpoints.OpenWhiskActivationHeader] = record.ActivationId.ToString();
        await JsonOutput.WriteAsync(context, StatusCodes.Status202Accepted, new JsonObject { ["activationId"] = record.ActivationId.ToString() })
            .ConfigureAwait(false);
    }

    private static bool IsEnvelope(string? contentType) =>
        contentType is not null && contentType.Split(';')[0].Trim().Equals(InvokeEndpoints.EnvelopeMediaType, StringComparison.OrdinalIgnoreCase);

    /// <summary>The JSON payload (an object; empty body: <c>{}</c>), or null after writing a 400.</summary>
    private static async Task<JsonObject?> PayloadAsync(HttpContext context, byte[] body)
    {
        try
        {
            if ((body.Length == 0 ? new JsonObject() : JsonNode.Parse(body)) is JsonObject payload)
            {
                return payload;
            }
        }
        catch (JsonException)
        {
            await ApiError.WriteAsync(context, StatusCodes.Status400BadRequest, "The request content was malformed: the body is not valid JSON.")
                .ConfigureAwait(false);
            return null;
        }

        await ApiError.WriteAsync(context, StatusCodes.Status400BadRequest,
            "The request content was malformed: the payload of a trigger must be a JSON object (or an envelope for confidential actions).")
            .ConfigureAwait(false);
        return null;
    }

    /// <summary>The trigger activation's result: the payload as fired, or only the size and SHA-256 of a sealed one.</summary>
    private static JsonElement ResultOf(JsonObject? payload, byte[]? sealedPayload)
    {
        var result = sealedPayload is null ? payload!
            : new JsonObject
            {
                ["sealedPayload"] = new JsonObject { ["size"] = sealedPayload.Length, ["sha256"] = Convert.ToHexStringLower(SHA256.HashData(sealedPayload)) },
            };
        return JsonSerializer.SerializeToElement(result);
    }
}
