namespace Carapace.Controller.Packages;

/// <summary>
/// A package as its actions see it: the package that holds the actions, the binding it was reached through (if any),
/// and the parameters the actions inherit — the package's with the binding's over them.
/// </summary>
/// <param name="Package">The package that holds the actions (never a binding).</param>
/// <param name="Binding">The binding the package was reached through, or null.</param>
/// <param name="Parameters">The package's parameters with the binding's over them.</param>
public sealed record ResolvedPackage(PackageRecord Package, PackageRecord? Binding, IReadOnlyList<KeyValue> Parameters);
