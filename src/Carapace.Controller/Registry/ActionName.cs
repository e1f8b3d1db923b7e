using System.Diagnostics.CodeAnalysis;
using System.Text.RegularExpressions;

namespace Carapace.Controller.Registry;

/// <summary>
/// The fully qualified name of an action, <c>/namespace/name</c>. Both parts follow OpenWhisk's entity name rule:
/// letters, digits and <c>_</c>, with <c>@ . -</c> and inner spaces allowed after the first character, at most
/// <see cref="MaxLength"/> characters.
/// </summary>
public readonly partial record struct ActionName
{
    /// <summary>The longest namespace or action name (OpenWhisk: 256).</summary>
    public const int MaxLength = 256;

    private ActionName(string @namespace, string name)
    {
        Namespace = @namespace;
        Name = name;
    }

    /// <summary>The namespace, without slashes.</summary>
    public string Namespace { get; }

    /// <summary>The action's name within its namespace.</summary>
    public string Name { get; }

    /// <summary>True if <paramref name="part"/> is a valid namespace or action name.</summary>
    public static bool IsValidPart([NotNullWhen(true)] string? part) =>
        part is { Length: > 0 and <= MaxLength } && EntityName().IsMatch(part);

    /// <summary>Builds a name from its parts.</summary>
    /// <exception cref="ArgumentException">A part is not a valid entity name.</exception>
    public static ActionName Of(string @namespace, string name)
    {
        if (!IsValidPart(@namespace))
        {
            throw new ArgumentException($"'{@namespace}' is not a valid namespace name.", nameof(@namespace));
        }

        if (!IsValidPart(name))
        {
            throw new ArgumentException($"'{name}' is not a valid action name.", nameof(name));
        }

        return new ActionName(@namespace, name);
    }

    /// <summary>Parses <c>/namespace/name</c>.</summary>
    public static bool TryParse([NotNullWhen(true)] string? text, out ActionName name)
    {
        name = default;
        if (text is null || !text.StartsWith('/'))
        {
            return false;
        }

        var parts = text[1..].Split('/');
        if (parts.Length != 2 || !IsValidPart(parts[0]) || !IsValidPart(parts[1]))
        {
            return false;
        }

        name = new ActionName(parts[0], parts[1]);
        return true;
    }

    /// <summary>The OpenWhisk <c>path</c> form, <c>namespace/name</c>.</summary>
    public string Path => Namespace + "/" + Name;

    /// <summary>The fully qualified form, <c>/namespace/name</c>.</summary>
    public override string ToString() => "/" + Namespace + "/" + Name;

    [GeneratedRegex(@"\A([\w]|[\w][\w@ .-]*[\w@.-]+)\z", RegexOptions.CultureInvariant)]
    private static partial Regex EntityName();
}
