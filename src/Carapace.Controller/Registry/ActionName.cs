using System.Diagnostics.CodeAnalysis;
using System.Text.RegularExpressions;

namespace Carapace.Controller.Registry;

/// <summary>
/// The fully qualified name of an action, <c>/namespace/name</c>, or <c>/namespace/package/name</c> for an action in a
/// package (then <see cref="Name"/> is <c>package/name</c>). Every part follows OpenWhisk's entity name rule:
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

    /// <summary>The action's name within its namespace: <c>name</c>, or <c>package/name</c> for an action in a package.</summary>
    public string Name { get; }

    /// <summary>The package the action is in, or null for an action in the namespace's default package.</summary>
    public string? Package => Name.IndexOf('/', StringComparison.Ordinal) is var slash and >= 0 ? Name[..slash] : null;

    /// <summary>The action's own name, without its package (OpenWhisk's <c>name</c> field).</summary>
    public string Short => Name[(Name.IndexOf('/', StringComparison.Ordinal) + 1)..];

    /// <summary>The entity path the action lives in: <c>namespace</c>, or <c>namespace/package</c> (OpenWhisk's <c>namespace</c> field).</summary>
    public string EntityPath => Package is { } package ? Namespace + "/" + package : Namespace;

    /// <summary>True if <paramref name="part"/> is a valid namespace, package or action name (one path segment).</summary>
    public static bool IsValidPart([NotNullWhen(true)] string? part) =>
        part is { Length: > 0 and <= MaxLength } && EntityName().IsMatch(part);

    /// <summary>True if <paramref name="name"/> is a valid action name within a namespace: <c>name</c> or <c>package/name</c>.</summary>
    public static bool IsValidName([NotNullWhen(true)] string? name)
    {
        if (name is null)
        {
            return false;
        }

        var slash = name.IndexOf('/', StringComparison.Ordinal);
        return slash < 0 ? IsValidPart(name) : IsValidPart(name[..slash]) && IsValidPart(name[(slash + 1)..]);
    }

    /// <summary>Builds a name from its parts.</summary>
    /// <exception cref="ArgumentException">A part is not a valid entity name.</exception>
    public static ActionName Of(string @namespace, string name)
    {
        if (!IsValidPart(@namespace))
        {
            throw new ArgumentException($"'{@namespace}' is not a valid namespace name.", nameof(@namespace));
        }

        if (!IsValidName(name))
        {
            throw new ArgumentException($"'{name}' is not a valid action name.", nameof(name));
        }

        return new ActionName(@namespace, name);
    }

    /// <summary>Builds the name of an action in a package (<paramref name="package"/> null for the default package).</summary>
    /// <exception cref="ArgumentException">A part is not a valid entity name.</exception>
    public static ActionName Of(string @namespace, string? package, string name)
    {
        if (package is not null && !IsValidPart(package))
        {
            throw new ArgumentException($"'{package}' is not a valid package name.", nameof(package));
        }

        if (!IsValidPart(name))
        {
            throw new ArgumentException($"'{name}' is not a valid action name.", nameof(name));
        }

        return Of(@namespace, package is null ? name : package + "/" + name);
    }

    /// <summary>Parses <c>/namespace/name</c> or <c>/namespace/package/name</c>.</summary>
    public static bool TryParse([NotNullWhen(true)] string? text, out ActionName name)
    {
        name = default;
        if (text is null || !text.StartsWith('/'))
        {
            return false;
        }

        var parts = text[1..].Split('/');
        if (parts.Length is not (2 or 3) || parts.Any(p => !IsValidPart(p)))
        {
            return false;
        }

        name = new ActionName(parts[0], string.Join('/', parts[1..]));
        return true;
    }

    /// <summary>The OpenWhisk <c>path</c> form, <c>namespace/name</c>.</summary>
    public string Path => Namespace + "/" + Name;

    /// <summary>The fully qualified form, <c>/namespace/name</c>.</summary>
    public override string ToString() => "/" + Namespace + "/" + Name;

    [GeneratedRegex(@"\A([\w]|[\w][\w@ .-]*[\w@.-]+)\z", RegexOptions.CultureInvariant)]
    private static partial Regex EntityName();
}
