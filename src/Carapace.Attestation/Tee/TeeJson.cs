using System.Text.Json;

namespace Carapace.Attestation.Tee;

/// <summary>
/// Strict reading of the small JSON documents of this folder (confidential VM rules, the TEE configuration file): an
/// object's unknown or duplicate fields and wrongly typed values are errors, collected with their JSON path.
/// </summary>
internal sealed class TeeJson
{
    private readonly Dictionary<string, JsonElement> _fields;
    private readonly string _path;
    private readonly List<string> _errors;

    private TeeJson(Dictionary<string, JsonElement> fields, string path, List<string> errors)
    {
        _fields = fields;
        _path = path;
        _errors = errors;
    }

    /// <summary>The object at <paramref name="path"/>, or null (with an error) when it is not an object or has unknown or repeated fields.</summary>
    public static TeeJson? Open(JsonElement element, string path, List<string> errors, params string[] allowed)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            errors.Add($"{path}: must be a JSON object");
            return null;
        }

        var fields = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        var ok = true;
        foreach (var property in element.EnumerateObject())
        {
            if (!allowed.Contains(property.Name, StringComparer.Ordinal))
            {
                errors.Add($"{path}.{property.Name}: unknown field (allowed: {string.Join(", ", allowed)})");
                ok = false;
            }
            else if (!fields.TryAdd(property.Name, property.Value))
            {
                errors.Add($"{path}.{property.Name}: appears twice");
                ok = false;
            }
        }

        return ok ? new TeeJson(fields, path, errors) : null;
    }

    public bool Has(string name) => _fields.ContainsKey(name);

    public string Path(string name) => $"{_path}.{name}";

    public void Error(string name, string message) => _errors.Add($"{Path(name)}: {message}");

    public string? String(string name, bool required)
    {
        if (!_fields.TryGetValue(name, out var value))
        {
            if (required)
            {
                Error(name, "is required");
            }

            return null;
        }

        if (value.ValueKind != JsonValueKind.String)
        {
            Error(name, "must be a string");
            return null;
        }

        return value.GetString();
    }

    public int? Integer(string name, int max)
    {
        if (!_fields.TryGetValue(name, out var value))
        {
            Error(name, "is required");
            return null;
        }

        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out var number) || number < 0 || number > max)
        {
            Error(name, $"must be a whole number from 0 to {max}");
            return null;
        }

        return number;
    }

    public JsonElement? Element(string name) => _fields.TryGetValue(name, out var value) ? value : null;

    /// <summary>The array's items with their paths; an error (and nothing) when the field is not an array.</summary>
    public IEnumerable<(JsonElement Item, string Path)> Array(string name, bool required)
    {
        if (!_fields.TryGetValue(name, out var value))
        {
            if (required)
            {
                Error(name, "is required");
            }

            return [];
        }

        if (value.ValueKind != JsonValueKind.Array)
        {
            Error(name, "must be a JSON array");
            return [];
        }

        return value.EnumerateArray().Select((item, i) => (item, $"{Path(name)}[{i}]")).ToList();
    }
}
