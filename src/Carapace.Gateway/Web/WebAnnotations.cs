using System.Text.Json;
using Carapace.Controller;
using Carapace.Controller.Registry;

namespace Carapace.Gateway.Web;

/// <summary>
/// The annotations that make an action a web action and shape how the web route serves it, read as OpenWhisk reads
/// them: a flag counts only when its value is the JSON boolean <c>true</c>.
/// </summary>
internal sealed record WebAnnotations
{
    /// <summary>The annotation that exports an action at <c>/api/v1/web/…</c>.</summary>
    public const string Export = "web-export";

    /// <summary>The annotation that passes the query and body to the action unparsed (<c>__ow_query</c>, <c>__ow_body</c>).</summary>
    public const string RawHttp = "raw-http";

    /// <summary>The annotation that makes the action's own defined parameters immune to query and body parameters.</summary>
    public const string Final = "final";

    /// <summary>The annotation that lets the action answer OPTIONS itself, without the default CORS answer.</summary>
    public const string CustomOptions = "web-custom-options";

    /// <summary>The annotation that secures a web action: <c>true</c>, or a secret for <see cref="AuthHeader"/>.</summary>
    public const string RequireWhiskAuth = "require-whisk-auth";

    /// <summary>The request header carrying the secret a string or number <c>require-whisk-auth</c> asks for.</summary>
    public const string AuthHeader = "X-Require-Whisk-Auth";

    public required bool Exported { get; init; }

    public required bool Raw { get; init; }

    public required bool CustomOptionsHandled { get; init; }

    /// <summary>The parameters a request may not set: the action's defined ones under <c>final: true</c>, else none.</summary>
    public required IReadOnlySet<string> FinalParameters { get; init; }

    /// <summary>The <c>require-whisk-auth</c> value, or null when the annotation is absent.</summary>
    public JsonElement? RequireAuth { get; init; }

    public static WebAnnotations Of(ActionRecord action)
    {
        ArgumentNullException.ThrowIfNull(action);
        var final = IsTrue(action.Annotations, Final);
        return new WebAnnotations
        {
            Exported = IsTrue(action.Annotations, Export),
            Raw = IsTrue(action.Annotations, RawHttp),
            CustomOptionsHandled = IsTrue(action.Annotations, CustomOptions),
            // As OpenWhisk: a parameter whose value is null is not defined, so it stays open to the request.
            FinalParameters = final
                ? action.Parameters.Where(p => p.Value.ValueKind != JsonValueKind.Null).Select(p => p.Key).ToHashSet(StringComparer.Ordinal)
                : new HashSet<string>(StringComparer.Ordinal),
            RequireAuth = action.Annotations.LastOrDefault(a => a.Key == RequireWhiskAuth)?.Value,
        };
    }

    private static bool IsTrue(IReadOnlyList<KeyValue> annotations, string key) =>
        annotations.LastOrDefault(a => a.Key == key)?.Value.ValueKind == JsonValueKind.True;
}
