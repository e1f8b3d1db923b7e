namespace Carapace.Controller.Packages;

/// <summary>
/// A package as the registry stores it (OpenWhisk's package document): a named group of actions with default
/// parameters, or a binding — a package of the namespace that refers to another package and adds its own parameters.
/// </summary>
public sealed record PackageRecord
{
    /// <summary>The namespace the package belongs to.</summary>
    public required string Namespace { get; init; }

    /// <summary>The package's name within its namespace.</summary>
    public required string Name { get; init; }

    /// <summary>The semver-like version, <c>0.0.1</c> on create, the patch number bumped on every update.</summary>
    public required string Version { get; init; }

    /// <summary>The package this one is bound to, or null when it is a package of its own.</summary>
    public PackageReference? Binding { get; init; }

    /// <summary>The annotations (without <c>binding</c>, which is computed from <see cref="Binding"/> on output).</summary>
    public required IReadOnlyList<KeyValue> Annotations { get; init; }

    /// <summary>The default parameters of every action in the package (under the binding's and the action's own).</summary>
    public required IReadOnlyList<KeyValue> Parameters { get; init; }

    /// <summary>Whether other namespaces may see the package and bind to it.</summary>
    public required bool Publish { get; init; }

    /// <summary>When the package was last created or updated.</summary>
    public required DateTimeOffset Updated { get; init; }

    /// <summary>True for a binding.</summary>
    public bool IsBinding => Binding is not null;

    /// <summary>The package's fully qualified name, <c>/namespace/name</c>.</summary>
    public override string ToString() => "/" + Namespace + "/" + Name;
}

/// <summary>A reference to a package: its namespace and name.</summary>
/// <param name="Namespace">The namespace.</param>
/// <param name="Name">The package's name.</param>
public sealed record PackageReference(string Namespace, string Name)
{
    /// <summary>The fully qualified form, <c>/namespace/name</c>.</summary>
    public override string ToString() => "/" + Namespace + "/" + Name;
}
