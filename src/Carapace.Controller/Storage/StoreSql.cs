namespace Carapace.Controller.Storage;

/// <summary>SQL pieces the stores share, in the dialect both SQLite and PostgreSQL understand.</summary>
internal static class StoreSql
{
    /// <summary>
    /// The write scope of the registries (actions, packages, triggers, rules): their writes check other entities
    /// (a package's binding, a sequence's components, a rule's trigger) before they write, so they serialize.
    /// Deployments are rare; activations, which are not, never take this scope.
    /// </summary>
    public const string RegistryScope = "carapace.registry";

    /// <summary>
    /// The <c>SET</c> list of an upsert (<c>INSERT … ON CONFLICT (key) DO UPDATE SET …</c>): every column of
    /// <paramref name="columns"/> (comma-separated) but the key columns takes the value the insert proposed.
    /// </summary>
    public static string Updates(string columns, params string[] key) =>
        string.Join(", ", columns.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Where(c => !key.Contains(c, StringComparer.Ordinal))
            .Select(c => $"{c} = excluded.{c}"));
}
