using System.Text.Json;
using Carapace.Gateway.Actions;

namespace Carapace.Fuzz.Targets;

/// <summary>The gateway's REST bodies from authenticated but untrusted callers.</summary>
internal static class GatewayTargets
{
    public static IEnumerable<FuzzTarget> All()
    {
        yield return new FuzzTarget(
            "gateway-action",
            "ActionRequest.Parse: the JSON body of PUT /api/v1/namespaces/{ns}/actions/{name} (invalid JSON is refused first, as the endpoint does)",
            ParseAction,
            [typeof(JsonException)]);
    }

    /// <summary>Parses as <c>ActionEndpoints</c> does; problems are reported in the error list, never thrown.</summary>
    private static void ParseAction(byte[] input)
    {
        using var document = JsonDocument.Parse(input);
        var errors = new List<string>();
        var definition = ActionRequest.Parse(document.RootElement, "guest", existingLimits: null, errors);
        if (definition is null == (errors.Count == 0))
        {
            throw new InvalidOperationException($"ActionRequest.Parse returned {(definition is null ? "nothing" : "a definition")} with {errors.Count} errors");
        }
    }
}
