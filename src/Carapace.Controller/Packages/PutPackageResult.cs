namespace Carapace.Controller.Packages;

/// <summary>How a package put ended; each failure maps to one HTTP status at the gateway.</summary>
public enum PutPackageStatus
{
    /// <summary>A new package was stored (200).</summary>
    Created,

    /// <summary>An existing package was replaced and its version bumped (200).</summary>
    Updated,

    /// <summary>The package exists and overwrite was not asked for (409).</summary>
    Conflict,

    /// <summary>The namespace does not exist (404).</summary>
    NamespaceNotFound,

    /// <summary>The definition is invalid, or the binding refers to nothing it may bind to (400).</summary>
    Invalid,

    /// <summary>An existing package cannot become a binding (409, as OpenWhisk).</summary>
    CannotBecomeBinding,
}

/// <summary>The outcome of <see cref="PackageRegistry.Put"/>: the stored package, or why nothing was stored.</summary>
public sealed record PutPackageResult
{
    /// <summary>How it ended.</summary>
    public required PutPackageStatus Status { get; init; }

    /// <summary>The stored package when <see cref="Status"/> is Created or Updated.</summary>
    public PackageRecord? Package { get; init; }

    /// <summary>Why nothing was stored, in a sentence for the caller.</summary>
    public string? Error { get; init; }

    internal static PutPackageResult Fail(PutPackageStatus status, string error) => new() { Status = status, Error = error };
}

/// <summary>How a package delete ended.</summary>
public enum DeletePackageStatus
{
    /// <summary>The package (and with <c>force</c>, its actions) was deleted.</summary>
    Deleted,

    /// <summary>No such package.</summary>
    NotFound,

    /// <summary>The package still holds actions and <c>force</c> was not asked for (409, as OpenWhisk).</summary>
    NotEmpty,
}

/// <summary>The outcome of <see cref="PackageRegistry.Delete"/>.</summary>
/// <param name="Status">How it ended.</param>
/// <param name="Package">The deleted package, when deleted.</param>
/// <param name="Actions">How many actions the package held (deleted with it under <c>force</c>).</param>
public sealed record DeletePackageResult(DeletePackageStatus Status, PackageRecord? Package, int Actions);
