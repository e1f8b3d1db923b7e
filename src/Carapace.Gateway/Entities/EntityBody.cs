using System.Text.Json;
using Carapace.Controller;
using Carapace.Gateway.Actions;
using Carapace.Gateway.Http;
using Microsoft.AspNetCore.Http;

namespace Carapace.Gateway.Entities;

/// <summary>
/// The JSON body of a package, trigger or rule PUT: read within <see cref="MaxBytes"/>, an object, and the fields all
/// three share (<c>annotations</c>, <c>parameters</c>, <c>publish</c>) parsed with every problem reported at once.
/// </summary>
internal static class EntityBody
{
    /// <summary>
    /// The largest body: room for <c>annotations</c> and <c>parameters</c> at their limits
    /// (<see cref="Controller.Registry.KeyValueRules.MaxBytes"/> each) and the rest.
    /// </summary>
    public const int MaxBytes = 3 * 1024 * 1024;

    /// <summary>The body as a JSON object, or null after writing a 413 or 400 that says what was wrong.</summary>
    public static async Task<JsonDocument?> ReadAsync(HttpContext context, string kind)
    {
        var body = await RequestBody.ReadAsync(context.Request, MaxBytes, context.RequestAborted).ConfigureAwait(false);
        if (body is null)
        {
            await ApiError.WriteAsync(context, StatusCodes.Status413PayloadTooLarge, ApiError.TooLarge(MaxBytes)).ConfigureAwait(false);
            return null;
        }

        JsonDocument document;
        try
        {
            document = body.Length == 0 ? JsonDocument.Parse("{}") : JsonDocument.Parse(body);
        }
        catch (JsonException)
        {
            await ApiError.WriteAsync(context, StatusCodes.Status400BadRequest, "The request content was malformed: the body is not valid JSON.")
                .ConfigureAwait(false);
            return null;
        }

        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            document.Dispose();
            await ApiError.WriteAsync(context, StatusCodes.Status400BadRequest,
                $"The request content was malformed: the body of a {kind} must be a JSON object.").ConfigureAwait(false);
            return null;
        }

        return document;
    }

    /// <summary><c>annotations</c> or <c>parameters</c> if present (null if absent), adding any problem to <paramref name="errors"/>.</summary>
    public static IReadOnlyList<KeyValue>? KeyValues(JsonElement root, string field, List<string> errors)
    {
        if (!root.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        try
        {
            return ActionRequest.ParseKeyValues(value, field, errors);
        }
        catch (InvalidOperationException)
        {
            errors.Add($"'{field}' holds a string that is not valid Unicode (it escapes a lone surrogate such as '\\ud800').");
            return null;
        }
    }

    /// <summary><c>publish</c> if present, adding a problem when it is not a boolean.</summary>
    public static bool? Publish(JsonElement root, List<string> errors)
    {
        if (!root.TryGetProperty("publish", out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind is JsonValueKind.True or JsonValueKind.False)
        {
            return value.GetBoolean();
        }

        errors.Add("'publish' must be true or false.");
        return null;
    }

    /// <summary>The string value of <paramref name="element"/>, or null when it is not a string (or not valid Unicode).</summary>
    public static string? Text(JsonElement element) => ActionRequest.TryGetString(element, out var text) ? text : null;
}
