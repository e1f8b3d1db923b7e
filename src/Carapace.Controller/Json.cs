using System.Text.Json;

namespace Carapace.Controller;

/// <summary>The JSON settings of everything the controller stores (camelCase, as OpenWhisk).</summary>
internal static class Json
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web);
}
