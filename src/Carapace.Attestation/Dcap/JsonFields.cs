using System.Globalization;
using System.Text.Json;

namespace Carapace.Attestation.Dcap;

/// <summary>Reads required fields of Intel's collateral JSON, failing as Malformed with the item and field named.</summary>
internal readonly struct JsonFields
{
    private readonly JsonElement _element;
    private readonly string _what;

    public JsonFields(JsonElement element, string what)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw AttestationException.Malformed($"the {what} must be a JSON object");
        }

        _element = element;
        _what = what;
    }

    public bool Has(string name) => _element.TryGetProperty(name, out _);

    public JsonFields Object(string name) => new(Get(name, JsonValueKind.Object), $"{_what} '{name}'");

    public IEnumerable<JsonElement> Array(string name) => Get(name, JsonValueKind.Array).EnumerateArray();

    public string String(string name) => Text(Get(name, JsonValueKind.String), $"{_what} field '{name}'");

    public int Int(string name, int min, int max)
    {
        var element = Get(name, JsonValueKind.Number);
        return element.TryGetInt32(out var value) && value >= min && value <= max
            ? value
            : throw AttestationException.Malformed($"the {_what} field '{name}' must be an integer in {min}..{max}");
    }

    public byte[] Hex(string name, int length)
    {
        var text = String(name);
        try
        {
            var bytes = Convert.FromHexString(text);
            return bytes.Length == length
                ? bytes
                : throw AttestationException.Malformed($"the {_what} field '{name}' must be {length} bytes of hex, not {bytes.Length}");
        }
        catch (FormatException)
        {
            throw AttestationException.Malformed($"the {_what} field '{name}' is not hex");
        }
    }

    public DateTimeOffset Date(string name)
    {
        var text = String(name);
        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var date)
            ? date
            : throw AttestationException.Malformed($"the {_what} field '{name}' is not an ISO 8601 date ('{text}')");
    }

    /// <summary>An optional array of strings (advisory ids); empty when absent.</summary>
    public IReadOnlyList<string> Strings(string name)
    {
        if (!_element.TryGetProperty(name, out var value))
        {
            return [];
        }

        if (value.ValueKind != JsonValueKind.Array)
        {
            throw AttestationException.Malformed($"the {_what} field '{name}' must be an array");
        }

        var strings = new List<string>();
        foreach (var item in value.EnumerateArray())
        {
            strings.Add(item.ValueKind == JsonValueKind.String
                ? Text(item, $"{_what} field '{name}'")
                : throw AttestationException.Malformed($"the {_what} field '{name}' must hold strings"));
        }

        return strings;
    }

    /// <summary>
    /// The text of the JSON string <paramref name="element"/>. JSON parsers accept an escaped lone surrogate
    /// (<c>"\ud800"</c>) that no .NET string can hold; reading one is Malformed, naming <paramref name="what"/>.
    /// </summary>
    public static string Text(JsonElement element, string what)
    {
        try
        {
            return element.GetString()!;
        }
        catch (InvalidOperationException)
        {
            throw AttestationException.Malformed($"the {what} contains an invalid escaped character (a lone surrogate)");
        }
    }

    /// <summary>Parses <paramref name="json"/> and reads it with <paramref name="read"/>.</summary>
    public static T Parse<T>(string json, string what, Func<JsonFields, T> read)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw AttestationException.Malformed($"the {what} is not valid JSON (line {e.LineNumber + 1})");
        }

        using (document)
        {
            return read(new JsonFields(document.RootElement, what));
        }
    }

    private JsonElement Get(string name, JsonValueKind kind)
    {
        if (!_element.TryGetProperty(name, out var value))
        {
            throw AttestationException.Malformed($"the {_what} has no field '{name}'");
        }

        return value.ValueKind == kind
            ? value
            : throw AttestationException.Malformed($"the {_what} field '{name}' must be a JSON {kind.ToString().ToLowerInvariant()}");
    }
}
