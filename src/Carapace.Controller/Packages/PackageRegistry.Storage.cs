using System.Data.Common;
using Carapace.Controller.Storage;

namespace Carapace.Controller.Packages;

/// <summary>Reading packages and resolving bindings on an open connection (shared with the <see cref="Registry.ActionRegistry"/>).</summary>
public sealed partial class PackageRegistry
{
    internal static PackageRecord? Read(DbConnection connection, string @namespace, string name)
    {
        using var command = StoreDatabase.Command(connection, $"SELECT {Columns} FROM packages WHERE namespace = @ns AND name = @name",
            ("@ns", @namespace), ("@name", name));
        using var reader = command.ExecuteReader();
        return reader.Read() ? ReadRecord(reader) : null;
    }

    internal static ResolvedPackage? Resolve(DbConnection connection, string @namespace, string name)
    {
        var package = Read(connection, @namespace, name);
        if (package?.Binding is not { } binding)
        {
            return package is null ? null : new ResolvedPackage(package, null, package.Parameters);
        }

        var bound = Read(connection, binding.Namespace, binding.Name);
        if (bound is null || bound.IsBinding || (bound.Namespace != @namespace && !bound.Publish))
        {
            return null;
        }

        return new ResolvedPackage(bound, package, ParameterMerge.Over(bound.Parameters, package.Parameters));
    }

    private static string? CheckBinding(DbConnection connection, string @namespace, string name, PackageReference binding)
    {
        if (binding.Namespace == @namespace && binding.Name == name)
        {
            // OpenWhisk's sentence.
            return $"Package binding '{binding}' contains a circular reference.";
        }

        var target = Read(connection, binding.Namespace, binding.Name);
        if (target is null || (target.Namespace != @namespace && !target.Publish))
        {
            // OpenWhisk's sentence; a package another namespace did not publish is not told apart from a missing one.
            return "Binding references a package that does not exist.";
        }

        return target.IsBinding ? "Cannot bind to another package binding." : null;
    }

    private static PackageRecord ReadRecord(DbDataReader reader) => new()
    {
        Namespace = reader.GetString(0),
        Name = reader.GetString(1),
        Version = reader.GetString(2),
        Binding = reader.IsDBNull(3) ? null : new PackageReference(reader.GetString(3), reader.GetString(4)),
        Annotations = KeyValue.Deserialize(reader.GetString(5)),
        Parameters = KeyValue.Deserialize(reader.GetString(6)),
        Publish = reader.GetInt64(7) != 0,
        Updated = DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(8)),
    };
}
