using System.Text.Json.Nodes;
using Carapace.Controller;
using Carapace.Controller.Packages;
using Carapace.Gateway.Actions;

namespace Carapace.Gateway.Packages;

/// <summary>
/// A package in OpenWhisk's JSON shape: <c>namespace</c>, <c>name</c>, <c>version</c>, <c>publish</c>,
/// <c>annotations</c> (a binding's with OpenWhisk's <c>binding</c> annotation), <c>parameters</c>, <c>binding</c>
/// (<c>{}</c> for a package, <c>{"namespace", "name"}</c> for a binding), <c>updated</c>; a GET adds <c>actions</c>
/// (<c>name</c>, <c>version</c>, <c>annotations</c>) and <c>feeds</c> (always empty: feeds are not supported).
/// </summary>
internal static class PackageJson
{
    public const string BindingAnnotation = "binding";

    public static JsonObject Render(PackageRecord package, IReadOnlyList<KeyValue>? parameters = null)
    {
        var annotations = package.Annotations.Where(a => a.Key != BindingAnnotation).ToList();
        if (package.Binding is { } binding)
        {
            annotations.Add(KeyValue.Of(BindingAnnotation, new { @namespace = binding.Namespace, name = binding.Name }));
        }

        return new JsonObject
        {
            ["namespace"] = package.Namespace,
            ["name"] = package.Name,
            ["version"] = package.Version,
            ["publish"] = package.Publish,
            ["annotations"] = ActionJson.KeyValues(annotations),
            ["parameters"] = ActionJson.KeyValues(parameters ?? package.Parameters),
            ["binding"] = package.Binding is { } b ? new JsonObject { ["namespace"] = b.Namespace, ["name"] = b.Name } : new JsonObject(),
            ["updated"] = package.Updated.ToUnixTimeMilliseconds(),
        };
    }

    /// <summary>The GET form: the package (a binding with its package's parameters under its own) and the actions it holds.</summary>
    public static JsonObject WithActions(ResolvedPackage resolved, IReadOnlyList<PackagedAction> actions)
    {
        var json = Render(resolved.Binding ?? resolved.Package, resolved.Parameters);
        json["actions"] = new JsonArray([.. actions.Select(a => (JsonNode)new JsonObject
        {
            ["name"] = a.Name,
            ["version"] = a.Version,
            ["annotations"] = ActionJson.KeyValues(a.Annotations),
        })]);
        json["feeds"] = new JsonArray();
        return json;
    }
}
