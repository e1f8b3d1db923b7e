using System.Text.Json.Nodes;
using Carapace.Controller.Activations;

namespace Carapace.Gateway.Triggers;

/// <summary>
/// What one rule did when its trigger fired: a line of the trigger activation's logs, as OpenWhisk's controller writes
/// it — <c>{"statusCode", "success", "activationId" | "error", "rule", "action"}</c>, where <c>statusCode</c> is 0 when
/// the action's invocation was accepted, 1 when it was refused for a reason its caller can fix (an inactive rule, a
/// missing action, a payload the action cannot take, a full queue) and 3 when the platform could not run it.
/// </summary>
/// <param name="StatusCode">OpenWhisk's activation status code: 0 success, 1 application error, 3 whisk error.</param>
/// <param name="Rule">The rule, <c>ns/rule</c>.</param>
/// <param name="Action">The action, <c>ns/action</c> or <c>ns/package/action</c>.</param>
/// <param name="ActivationId">The activation the rule caused, on success.</param>
/// <param name="Error">Why no activation was caused, otherwise.</param>
internal sealed record RuleActivation(int StatusCode, string Rule, string Action, ActivationId? ActivationId, string? Error)
{
    public const int Success = 0;
    public const int ApplicationError = 1;
    public const int WhiskError = 3;

    public bool IsSuccess => StatusCode == Success;

    public JsonObject ToJson()
    {
        var json = new JsonObject { ["statusCode"] = StatusCode, ["success"] = IsSuccess };
        if (ActivationId is { } id)
        {
            json["activationId"] = id.ToString();
        }
        else
        {
            json["error"] = Error;
        }

        json["rule"] = Rule;
        json["action"] = Action;
        return json;
    }
}
