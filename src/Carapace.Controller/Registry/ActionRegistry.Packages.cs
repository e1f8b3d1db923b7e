using System.Data.Common;
using Carapace.Controller.Packages;

namespace Carapace.Controller.Registry;

/// <summary>Actions in packages: where they may be stored, and how their package and binding parameters reach them.</summary>
public sealed partial class ActionRegistry
{
    /// <summary>
    /// The action <paramref name="name"/> as OpenWhisk's GET shows it: for an action in a package, the package's
    /// parameters (a binding's over its package's) under the action's own; through a binding, the bound package's action
    /// under its own name. Null when the action, its package or the bound package does not exist.
    /// </summary>
    public ActionRecord? GetResolved(ActionName name)
    {
        using var connection = _db.Open();
        if (name.Package is not { } package)
        {
            return Read(connection, name);
        }

        if (PackageRegistry.Resolve(connection, name.Namespace, package) is not { } resolved)
        {
            return null;
        }

        var action = Read(connection, ActionName.Of(resolved.Package.Namespace, resolved.Package.Name, name.Short));
        return action is null ? null : action with { Parameters = Packages.ParameterMerge.Over(resolved.Parameters, action.Parameters) };
    }

    /// <summary>
    /// The action an invocation of <paramref name="name"/> runs: as <see cref="GetResolved"/>, except that an action
    /// reached through a binding runs under the binding's name (<c>/namespace/binding/action</c>): its activations are
    /// the binding's namespace's, its enclaves its own, and a confidential one is the binding namespace's function
    /// <c>binding/action</c> (measured with that name, and granted by that namespace's KMS policy).
    /// </summary>
    private static ActionRecord? ReadForRun(DbConnection connection, ActionName name)
    {
        if (name.Package is not { } package)
        {
            return Read(connection, name);
        }

        if (PackageRegistry.Resolve(connection, name.Namespace, package) is not { } resolved)
        {
            return null;
        }

        var action = Read(connection, ActionName.Of(resolved.Package.Namespace, resolved.Package.Name, name.Short));
        return action is null ? null : action with { Name = name, Parameters = Packages.ParameterMerge.Over(resolved.Parameters, action.Parameters) };
    }

    /// <summary>True when <paramref name="name"/> is in a package binding, which holds no actions of its own.</summary>
    public bool IsInBinding(ActionName name)
    {
        if (name.Package is not { } package)
        {
            return false;
        }

        using var connection = _db.Open();
        return PackageRegistry.Read(connection, name.Namespace, package) is { IsBinding: true };
    }

    /// <summary>Null when an action named <paramref name="name"/> may be stored in its package; else why not.</summary>
    private static PutActionResult? CheckPackage(DbConnection connection, ActionName name)
    {
        if (name.Package is not { } package)
        {
            return null;
        }

        var record = PackageRegistry.Read(connection, name.Namespace, package);
        if (record is null)
        {
            return PutActionResult.Fail(PutActionStatus.PackageNotFound,
                $"The package /{name.Namespace}/{package} does not exist; create it (PUT /namespaces/{name.Namespace}/packages/{package}) first.");
        }

        // OpenWhisk's sentence.
        return record.IsBinding ? PutActionResult.Fail(PutActionStatus.Invalid, "Operation not permitted on package binding.") : null;
    }
}
