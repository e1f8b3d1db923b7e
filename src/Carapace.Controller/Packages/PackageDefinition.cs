namespace Carapace.Controller.Packages;

/// <summary>
/// The body of a package PUT: every property is optional; on an update, those left null keep their stored value (as
/// OpenWhisk's <c>WhiskPackagePut</c>).
/// </summary>
public sealed record PackageDefinition
{
    /// <summary>The package to bind to (a binding), or null.</summary>
    public PackageReference? Binding { get; init; }

    /// <summary>The annotations, or null to keep the stored ones.</summary>
    public IReadOnlyList<KeyValue>? Annotations { get; init; }

    /// <summary>The default parameters, or null to keep the stored ones.</summary>
    public IReadOnlyList<KeyValue>? Parameters { get; init; }

    /// <summary>Whether other namespaces may see the package, or null to keep the stored flag (false on create).</summary>
    public bool? Publish { get; init; }
}
