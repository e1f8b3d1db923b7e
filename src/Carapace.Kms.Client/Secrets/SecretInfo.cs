namespace Carapace.Kms.Client.Secrets;

/// <summary>What may be said about a stored secret without its value.</summary>
/// <param name="Namespace">The namespace it belongs to.</param>
/// <param name="Name">Its name.</param>
/// <param name="Version">Its newest version (from 1, one more per put).</param>
/// <param name="CreatedAt">When that version was stored.</param>
public sealed record SecretInfo(string Namespace, string Name, long Version, DateTimeOffset CreatedAt);
