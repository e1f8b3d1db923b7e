namespace Carapace.Controller.Packages;

/// <summary>An action as a package lists it (OpenWhisk's <c>WhiskPackageAction</c>).</summary>
/// <param name="Name">The action's own name (without the package).</param>
/// <param name="Version">Its version.</param>
/// <param name="Annotations">Its annotations.</param>
public sealed record PackagedAction(string Name, string Version, IReadOnlyList<KeyValue> Annotations);
