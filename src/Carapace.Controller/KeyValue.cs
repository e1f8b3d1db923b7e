using System.Text.Json;
using System.Text.Json.Serialization;

namespace Carapace.Controller;

/// <summary>
/// One entry of an OpenWhisk key/value array (<c>annotations</c>, <c>parameters</c>): a key and any JSON value,
/// serialized as <c>{"key": ..., "value": ...}</c>.
/// </summary>
/// <param name="Key">The entry's key.</param>
/// <param name="Value">The entry's JSON value.</param>
public sealed record KeyValue(
    [property: JsonPropertyName("key")] string Key,
    [property: JsonPropertyName("value")] JsonElement Value)
{
    /// <summary>An entry whose value is the JSON form of <paramref name="value"/>.</summary>
    public static KeyValue Of<T>(string key, T value) => new(key, JsonSerializer.SerializeToElement(value, Json.Options));

    internal static string Serialize(IReadOnlyList<KeyValue> entries) => JsonSerializer.Serialize(entries, Json.Options);

    internal static IReadOnlyList<KeyValue> Deserialize(string json) =>
        JsonSerializer.Deserialize<KeyValue[]>(json, Json.Options) ?? [];
}
