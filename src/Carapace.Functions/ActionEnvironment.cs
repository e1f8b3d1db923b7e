using System.Text;
using System.Text.Json;

namespace Carapace.Functions;

/// <summary>
/// The rules for a function's non-secret environment, and the reading of an action's <c>carapace.env</c> annotation
/// (a JSON object of strings) by them. The gateway refuses an action that breaks them, clients check them before
/// deploying, and <see cref="FunctionManifest.Validate"/> enforces them again, so an enclave never gets an
/// environment it cannot hand to WASI (which passes <c>NAME=value</c> strings ending in NUL).
/// </summary>
/// <remarks>
/// A name is 1 to <see cref="FunctionManifest.MaxEnvironmentNameBytes"/> UTF-8 bytes without '=' or NUL; a value is at
/// most <see cref="FunctionManifest.MaxTextBytes"/> bytes without NUL; both are valid Unicode; at most
/// <see cref="FunctionManifest.MaxEnvironmentVariables"/> variables of at most <see cref="FunctionManifest.MaxEnvironmentBytes"/>
/// bytes in all (each <c>NAME=value</c> plus its NUL); names are unique.
/// </remarks>
public static class ActionEnvironment
{
    /// <summary>The annotation: <see cref="ActionManifest.EnvironmentAnnotation"/>.</summary>
    public const string Annotation = ActionManifest.EnvironmentAnnotation;

    private const string Subject = "'" + Annotation + "'";

    /// <summary>
    /// The variables of a <c>carapace.env</c> annotation's value, in ordinal name order, or null when it breaks a rule;
    /// then every problem is added to <paramref name="problems"/> as a sentence naming the annotation.
    /// </summary>
    public static IReadOnlyList<KeyValuePair<string, string>>? Parse(JsonElement value, ICollection<string> problems)
    {
        ArgumentNullException.ThrowIfNull(problems);
        if (value.ValueKind != JsonValueKind.Object)
        {
            problems.Add($"{Subject} must be a JSON object of strings (\"NAME\": \"value\"), not {Describe(value.ValueKind)}.");
            return null;
        }

        var variables = new List<KeyValuePair<string, string>>();
        var before = problems.Count;
        foreach (var property in value.EnumerateObject())
        {
            if (variables.Count > FunctionManifest.MaxEnvironmentVariables)
            {
                break;
            }

            if (!TryGetString(property, out var name))
            {
                problems.Add($"{Subject} has a name that is not valid Unicode.");
                continue;
            }

            if (property.Value.ValueKind != JsonValueKind.String)
            {
                problems.Add($"{Subject}: the value of {Quote(name)} must be a string, not {Describe(property.Value.ValueKind)}.");
                continue;
            }

            string text;
            try
            {
                text = property.Value.GetString()!;
            }
            catch (InvalidOperationException)
            {
                problems.Add($"{Subject}: the value of {Quote(name)} is not valid Unicode.");
                continue;
            }

            variables.Add(new(name, text));
        }

        foreach (var problem in Check(variables, Subject))
        {
            problems.Add(problem);
        }

        return problems.Count == before ? [.. variables.OrderBy(v => v.Key, StringComparer.Ordinal)] : null;
    }

    /// <summary>Every way <paramref name="variables"/> break the rules, each a sentence about <paramref name="subject"/>; empty when none.</summary>
    public static IReadOnlyList<string> Check(IEnumerable<KeyValuePair<string, string>> variables, string subject)
    {
        ArgumentNullException.ThrowIfNull(variables);
        var problems = new List<string>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        long total = 0;
        var count = 0;
        foreach (var (name, value) in variables)
        {
            if (++count > FunctionManifest.MaxEnvironmentVariables)
            {
                problems.Add($"{subject} has more than {FunctionManifest.MaxEnvironmentVariables} variables.");
                break;
            }

            if (name.Length == 0)
            {
                problems.Add($"{subject} has an empty variable name.");
            }
            else if (name.Contains('=', StringComparison.Ordinal))
            {
                problems.Add($"{subject}: the name {Quote(name)} contains '=', which ends a name in the environment.");
            }
            else if (FunctionManifest.TextProblem(name) is { } nameProblem)
            {
                problems.Add($"{subject}: the name {Quote(name)} {nameProblem}.");
            }
            else if (Encoding.UTF8.GetByteCount(name) is var nameBytes && nameBytes > FunctionManifest.MaxEnvironmentNameBytes)
            {
                problems.Add($"{subject}: the name {Quote(name)} is {nameBytes} bytes; a name is at most {FunctionManifest.MaxEnvironmentNameBytes}.");
            }
            else if (!names.Add(name))
            {
                problems.Add($"{subject} sets {Quote(name)} twice.");
            }

            if (FunctionManifest.TextProblem(value) is { } valueProblem)
            {
                problems.Add($"{subject}: the value of {Quote(name)} {valueProblem}.");
            }
            else if (Encoding.UTF8.GetByteCount(value) is var valueBytes && valueBytes > FunctionManifest.MaxTextBytes)
            {
                problems.Add($"{subject}: the value of {Quote(name)} is {valueBytes} bytes; a value is at most {FunctionManifest.MaxTextBytes}.");
            }

            total += FunctionManifest.ByteCount(name) + FunctionManifest.ByteCount(value) + 2;
        }

        if (total > FunctionManifest.MaxEnvironmentBytes)
        {
            problems.Add($"{subject} is {total} bytes in all (NAME=value and a NUL each); the environment is at most {FunctionManifest.MaxEnvironmentBytes}.");
        }

        return problems;
    }

    /// <summary>A name as shown in a message: quoted, control characters escaped, at most 64 characters.</summary>
    internal static string Quote(string name)
    {
        var builder = new StringBuilder("'");
        foreach (var c in name.Length > 64 ? name[..64] : name)
        {
            if (char.IsControl(c) || char.IsSurrogate(c))
            {
                builder.Append($"\\u{(int)c:x4}");
            }
            else
            {
                builder.Append(c);
            }
        }

        return builder.Append(name.Length > 64 ? "…'" : "'").ToString();
    }

    private static bool TryGetString(JsonProperty property, out string name)
    {
        try
        {
            name = property.Name;
            return true;
        }
        catch (InvalidOperationException)
        {
            name = "";
            return false;
        }
    }

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => "an object",
    };
}
