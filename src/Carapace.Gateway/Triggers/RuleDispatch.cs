using System.Text.Json;
using System.Text.Json.Nodes;
using Carapace.Controller.Invocation;
using Carapace.Controller.Scheduling;
using Carapace.Controller.Triggers;
using Carapace.Envelope.Format;
using Carapace.Gateway.Invocations;

namespace Carapace.Gateway.Triggers;

/// <summary>
/// Starts the invocation one rule of a fired trigger asks for, as OpenWhisk's controller posts it: non-blocking, by the
/// subject that fired the trigger, with the trigger's parameters under the payload's fields and the action's own default
/// parameters under those. A confidential action takes only a sealed payload, a plaintext action only a JSON one.
/// Never throws for what a rule or its action may be: every outcome is a <see cref="RuleActivation"/>.
/// </summary>
internal sealed class RuleDispatch(
    InvocationService invocations, IPlaintextBridge? plaintext, string subject, TriggerRecord trigger, JsonObject? payload, byte[]? sealedPayload)
{
    /// <summary>The OpenWhisk sentence for a rule that is not active.</summary>
    public static string Inactive(string rule, string action) => $"Rule '{rule}' is inactive, action '{action}' was not activated.";

    public RuleActivation Activate(RuleRecord rule)
    {
        var ruleName = rule.Namespace + "/" + rule.Name;
        var action = rule.Action.Path;
        if (rule.Status != RuleStatus.Active)
        {
            return Failed(RuleActivation.ApplicationError, Inactive(ruleName, action));
        }

        InvocationPlan plan;
        try
        {
            // Bounded like any invocation's plan; not cancelled with the request, so that every rule's outcome is recorded.
            plan = invocations.Plan(rule.Action, CancellationToken.None);
        }
        catch (InvocationRejectedException e)
        {
            return Failed(e.Reason == InvocationRejection.NotRunnable ? RuleActivation.WhiskError : RuleActivation.ApplicationError,
                e.Reason == InvocationRejection.NotFound ? "The requested resource does not exist." : e.Message);
        }

        byte[] input;
        if (plan.Confidential)
        {
            if (sealedPayload is null)
            {
                return Failed(RuleActivation.ApplicationError,
                    $"The action /{action} is confidential: it takes only a payload sealed for it, and this trigger was fired with JSON. "
                    + $"Fire the trigger with an envelope sealed for the action's chain (Content-Type: {InvokeEndpoints.EnvelopeMediaType}).");
            }

            input = sealedPayload;
        }
        else if (sealedPayload is not null)
        {
            return Failed(RuleActivation.ApplicationError,
                $"The action /{action} is not confidential and takes JSON parameters, but this trigger was fired with a sealed payload, "
                + "which only a confidential action can open.");
        }
        else if (plaintext is null)
        {
            return Failed(RuleActivation.WhiskError, $"The action /{action} is not confidential, and this gateway cannot run plaintext actions.");
        }
        else
        {
            try
            {
                input = plaintext.Seal(plan.First, RequestId.New(), JsonSerializer.SerializeToUtf8Bytes(Parameters(plan)));
            }
            catch (ActionNotRunnableException e)
            {
                return Failed(RuleActivation.ApplicationError, $"The action {plan.First.Name} cannot run: {e.Message}");
            }
        }

        try
        {
            var pending = invocations.Enqueue(
                new InvocationRequest { Action = rule.Action, Subject = subject, SealedInput = input, Plan = plan }, CancellationToken.None);
            return new RuleActivation(RuleActivation.Success, ruleName, action, pending.ActivationId, null);
        }
        catch (InvocationRejectedException e)
        {
            return Failed(e.Reason == InvocationRejection.NotRunnable ? RuleActivation.WhiskError : RuleActivation.ApplicationError, e.Message);
        }
        catch (QueueFullException e)
        {
            return Failed(RuleActivation.ApplicationError, e.Message);
        }
        catch (ObjectDisposedException)
        {
            return Failed(RuleActivation.WhiskError, "The platform is stopping; the action was not activated.");
        }

        RuleActivation Failed(int status, string error) => new(status, ruleName, action, null, error);
    }

    /// <summary>
    /// The action's parameters: the payload's fields over the trigger's parameters (OpenWhisk's
    /// <c>trigger.parameters.merge(payload)</c>), over the action's defaults (a sequence's, then its first component's).
    /// </summary>
    private JsonObject Parameters(InvocationPlan plan)
    {
        var parameters = (JsonObject)payload!.DeepClone();
        PlaintextBridge.WithDefaults(parameters, trigger.Parameters);
        PlaintextBridge.WithDefaults(parameters, plan.Root.Parameters);
        if (!ReferenceEquals(plan.First, plan.Root))
        {
            PlaintextBridge.WithDefaults(parameters, plan.First.Parameters);
        }

        return parameters;
    }
}
