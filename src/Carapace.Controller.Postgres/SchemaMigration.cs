namespace Carapace.Controller.Postgres;

/// <summary>One migration of the cluster database's schema.</summary>
/// <param name="Version">Its number: migrations apply in ascending order, each once.</param>
/// <param name="Name">What it does, from its file name.</param>
/// <param name="Sql">The statements, run in one transaction.</param>
public sealed record SchemaMigration(int Version, string Name, string Sql);
