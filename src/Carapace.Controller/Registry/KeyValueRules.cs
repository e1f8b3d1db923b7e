using System.Text;
using System.Text.Json;

namespace Carapace.Controller.Registry;

/// <summary>
/// The bounds of an action's <c>annotations</c> and <c>parameters</c>: at most <see cref="MaxEntries"/> entries with
/// unique keys of 1 to <see cref="MaxKeyLength"/> characters without control characters, every string valid Unicode,
/// at most <see cref="MaxBytes"/> of JSON in all.
/// </summary>
public static class KeyValueRules
{
    /// <summary>Most entries in one list.</summary>
    public const int MaxEntries = 1000;

    /// <summary>Longest key, in characters.</summary>
    public const int MaxKeyLength = 256;

    /// <summary>Most bytes of one list: the UTF-8 of every key and the JSON text of every value.</summary>
    public const int MaxBytes = 1024 * 1024;

    /// <summary>Every way <paramref name="entries"/> break the rules, each a sentence naming <paramref name="field"/>; empty when none.</summary>
    public static IReadOnlyList<string> Check(string field, IReadOnlyList<KeyValue> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        ArgumentNullException.ThrowIfNull(field);
        var problems = new List<string>();
        if (entries.Count > MaxEntries)
        {
            problems.Add($"'{field}' has {entries.Count} entries; at most {MaxEntries} are accepted.");
            return problems;
        }

        var keys = new HashSet<string>(StringComparer.Ordinal);
        long bytes = 0;
        foreach (var entry in entries)
        {
            var key = entry.Key ?? "";
            if (key.Length == 0)
            {
                problems.Add($"'{field}' has an entry with an empty key.");
            }
            else if (key.Length > MaxKeyLength)
            {
                problems.Add($"'{field}': the key {Quote(key)} is longer than {MaxKeyLength} characters.");
            }
            else if (key.Any(char.IsControl))
            {
                problems.Add($"'{field}': the key {Quote(key)} contains a control character.");
            }
            else if (!IsValidUnicode(key))
            {
                problems.Add($"'{field}': the key {Quote(key)} is not valid Unicode.");
            }
            else if (!keys.Add(key))
            {
                problems.Add($"'{field}' has the key {Quote(key)} more than once.");
            }

            if (!HasValidStrings(entry.Value))
            {
                problems.Add($"'{field}': the value of {Quote(key)} holds a string that is not valid Unicode.");
            }

            bytes += Encoding.UTF8.GetByteCount(key) + Encoding.UTF8.GetByteCount(entry.Value.GetRawText());
        }

        if (bytes > MaxBytes)
        {
            problems.Add($"'{field}' is {bytes} bytes of JSON; at most {MaxBytes} are accepted.");
        }

        return problems;
    }

    /// <summary>A key (or any client-given name) as shown in a message: quoted, control characters escaped, at most 64 characters.</summary>
    public static string Quote(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var builder = new StringBuilder("'");
        foreach (var c in key.Length > 64 ? key[..64] : key)
        {
            builder.Append(char.IsControl(c) || char.IsSurrogate(c) ? $"\\u{(int)c:x4}" : c.ToString());
        }

        return builder.Append(key.Length > 64 ? "…'" : "'").ToString();
    }

    private static bool IsValidUnicode(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(text[i]))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>True when every string and property name in <paramref name="value"/> decodes to valid Unicode.</summary>
    private static bool HasValidStrings(JsonElement value)
    {
        try
        {
            switch (value.ValueKind)
            {
                case JsonValueKind.String:
                    return IsValidUnicode(value.GetString()!);
                case JsonValueKind.Array:
                    return value.EnumerateArray().All(HasValidStrings);
                case JsonValueKind.Object:
                    return value.EnumerateObject().All(p => IsValidUnicode(p.Name) && HasValidStrings(p.Value));
                default:
                    return true;
            }
        }
        catch (InvalidOperationException)
        {
            // System.Text.Json refuses to decode an escaped lone surrogate.
            return false;
        }
    }
}
