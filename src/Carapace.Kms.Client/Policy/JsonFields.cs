using System.Text.Json;

namespace Carapace.Kms.Client.Policy;

/// <summary>
/// Strict reading of one JSON object: rejects duplicate and unknown fields and wrong types, records every problem
/// (with its JSON path) in a shared list instead of stopping at the first, and returns null for fields it could not read.
/// </summary>
internal sealed class JsonFields
{
    private readonly Dictionary<string, JsonElement> _fields;
    private readonly List<string> _errors;

    private JsonFields(Dictionary<string, JsonElement> fields, string path, List<string> errors)
    {
        _fields = fields;
        Path = path;
        _errors = errors;
    }

    /// <summary>The JSON path of this object.</summary>
    public string Path { get; }

    /// <summary>Opens <paramref name="element"/> as an object with only the <paramref name="allowed"/> fields; null if it is no object.</summary>
    public static JsonFields? Open(JsonElement element, string path, List<string> errors, params string[] allowed)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            errors.Add($"{path}: must be an object, not {Describe(element.ValueKind)}");
            return null;
        }

        var fields = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var property in element.EnumerateObject())
        {
            if (!allowed.Contains(property.Name, StringComparer.Ordinal))
            {
                errors.Add($"{path}: unknown field '{property.Name}' (allowed: {string.Join(", ", allowed)})");
            }
            else if (!fields.TryAdd(property.Name, property.Value))
            {
                errors.Add($"{path}: duplicate field '{property.Name}'");
            }
        }

        return new JsonFields(fields, path, errors);
    }

    /// <summary>A required, non-empty string.</summary>
    public string? RequiredString(string name) => String(name, required: true);

    /// <summary>An optional string (null when absent or JSON null).</summary>
    public string? OptionalString(string name) => String(name, required: false);

    /// <summary>A required non-negative integer no larger than <paramref name="max"/>.</summary>
    public ulong? RequiredInteger(string name, ulong max)
    {
        if (!Get(name, required: true, out var value))
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.Number || !value.TryGetUInt64(out var number) || number > max)
        {
            Error(name, $"must be an integer from 0 to {max}");
            return null;
        }

        return number;
    }

    /// <summary>An optional boolean, <paramref name="fallback"/> when absent.</summary>
    public bool OptionalBool(string name, bool fallback)
    {
        if (!Get(name, required: false, out var value))
        {
            return fallback;
        }

        if (value.ValueKind is JsonValueKind.True or JsonValueKind.False)
        {
            return value.GetBoolean();
        }

        Error(name, $"must be true or false, not {Describe(value.ValueKind)}");
        return fallback;
    }

    /// <summary>The items of an array field with their paths; empty when absent (after an error when required).</summary>
    public IReadOnlyList<(JsonElement Item, string Path)> Array(string name, bool required)
    {
        if (!Get(name, required, out var value))
        {
            return [];
        }

        if (value.ValueKind != JsonValueKind.Array)
        {
            Error(name, $"must be an array, not {Describe(value.ValueKind)}");
            return [];
        }

        return value.EnumerateArray().Select((item, i) => (item, $"{Path}.{name}[{i}]")).ToList();
    }

    /// <summary>An array of non-empty strings; empty when absent (after an error when required).</summary>
    public IReadOnlyList<string> StringArray(string name, bool required)
    {
        var result = new List<string>();
        foreach (var (item, path) in Array(name, required))
        {
            if (item.ValueKind != JsonValueKind.String || item.GetString() is not { Length: > 0 } text)
            {
                _errors.Add($"{path}: must be a non-empty string");
                continue;
            }

            result.Add(text);
        }

        return result;
    }

    /// <summary>True when the field is present (JSON null counts as absent).</summary>
    public bool Has(string name) => _fields.TryGetValue(name, out var value) && value.ValueKind != JsonValueKind.Null;

    /// <summary>Records an error about field <paramref name="name"/>.</summary>
    public void Error(string name, string message) => _errors.Add($"{Path}.{name}: {message}");

    private string? String(string name, bool required)
    {
        if (!Get(name, required, out var value))
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.String)
        {
            Error(name, $"must be a string, not {Describe(value.ValueKind)}");
            return null;
        }

        var text = value.GetString()!;
        if (required && text.Length == 0)
        {
            Error(name, "must not be empty");
            return null;
        }

        return text;
    }

    private bool Get(string name, bool required, out JsonElement value)
    {
        if (_fields.TryGetValue(name, out value) && value.ValueKind != JsonValueKind.Null)
        {
            return true;
        }

        if (required)
        {
            Error(name, "required field is missing");
        }

        return false;
    }

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => "nothing",
    };
}
