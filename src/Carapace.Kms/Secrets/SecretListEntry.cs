namespace Carapace.Kms.Secrets;

/// <summary>What the KMS says about one secret of a namespace to its owners: names, versions and times, never a value.</summary>
/// <param name="Name">The secret's name.</param>
/// <param name="Declared">True when the namespace's current policy declares it (a stored secret it no longer declares can only be deleted).</param>
/// <param name="Version">The version of its stored value; null when it has none.</param>
/// <param name="CreatedAt">When that value was stored; null when it has none.</param>
/// <param name="LastWrite">The version of its last accepted write (put or delete), 0 before the first: the next write must be this + 1.</param>
public sealed record SecretListEntry(string Name, bool Declared, long? Version, DateTimeOffset? CreatedAt, long LastWrite)
{
    /// <summary>The version the next write of this secret must carry.</summary>
    public long NextWrite => LastWrite + 1;
}
