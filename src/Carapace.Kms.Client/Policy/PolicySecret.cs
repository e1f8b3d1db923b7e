namespace Carapace.Kms.Client.Policy;

/// <summary>A secret a namespace declares; its value is stored in the KMS, never in the policy.</summary>
public sealed record PolicySecret
{
    /// <summary>The secret's name.</summary>
    public required string Name { get; init; }

    /// <summary>What the secret is for (shown to people only).</summary>
    public string? Description { get; init; }
}
