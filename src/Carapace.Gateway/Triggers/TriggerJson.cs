using System.Text.Json.Nodes;
using Carapace.Controller.Registry;
using Carapace.Controller.Triggers;
using Carapace.Gateway.Actions;

namespace Carapace.Gateway.Triggers;

/// <summary>
/// Triggers and rules in OpenWhisk's JSON shapes. A trigger: <c>namespace</c>, <c>name</c>, <c>version</c>,
/// <c>publish</c>, <c>annotations</c>, <c>parameters</c>, <c>limits</c> (<c>{}</c>), <c>updated</c>, and on a GET its
/// <c>rules</c> (<c>{"ns/rule": {"action": {"path", "name"}, "status"}}</c>) when it has any. A rule: the same first
/// fields, <c>status</c>, <c>trigger</c> and <c>action</c> as <c>{"path", "name"}</c>.
/// </summary>
internal static class TriggerJson
{
    public static JsonObject Trigger(TriggerRecord trigger, IReadOnlyList<RuleRecord>? rules = null)
    {
        var json = new JsonObject
        {
            ["namespace"] = trigger.Namespace,
            ["name"] = trigger.Name,
            ["version"] = trigger.Version,
            ["publish"] = trigger.Publish,
            ["annotations"] = ActionJson.KeyValues(trigger.Annotations),
            ["parameters"] = ActionJson.KeyValues(trigger.Parameters),
            ["limits"] = new JsonObject(),
            ["updated"] = trigger.Updated.ToUnixTimeMilliseconds(),
        };
        if (rules is { Count: > 0 })
        {
            var links = new JsonObject();
            foreach (var rule in rules)
            {
                links[rule.Namespace + "/" + rule.Name] = new JsonObject { ["action"] = Reference(rule.Action), ["status"] = rule.Status.ToWire() };
            }

            json["rules"] = links;
        }

        return json;
    }

    public static JsonObject Rule(RuleRecord rule) => new()
    {
        ["namespace"] = rule.Namespace,
        ["name"] = rule.Name,
        ["version"] = rule.Version,
        ["publish"] = rule.Publish,
        ["annotations"] = ActionJson.KeyValues(rule.Annotations),
        ["status"] = rule.Status.ToWire(),
        ["trigger"] = new JsonObject { ["path"] = rule.Namespace, ["name"] = rule.Trigger },
        ["action"] = Reference(rule.Action),
        ["updated"] = rule.Updated.ToUnixTimeMilliseconds(),
    };

    /// <summary>OpenWhisk's fully qualified entity name object: <c>{"path": "ns" or "ns/package", "name"}</c>.</summary>
    public static JsonObject Reference(ActionName action) => new() { ["path"] = action.EntityPath, ["name"] = action.Short };

    /// <summary>OpenWhisk's <c>asString</c> of an entity: <c>ns/name</c> or <c>ns/package/name</c>, without a leading slash.</summary>
    public static string Path(ActionName action) => action.Path;
}
