using Carapace.Kms.Client.Policy;
namespace Carapace.Kms.Policy;

/// <summary>An accepted policy version as the KMS keeps it.</summary>
public sealed record StoredPolicy
{
    /// <summary>The parsed policy.</summary>
    public required KmsPolicy Policy { get; init; }

    /// <summary>The signed document exactly as it was accepted.</summary>
    public required SignedPolicy Document { get; init; }

    /// <summary>The owners whose signatures approved it.</summary>
    public required IReadOnlyList<string> ApprovedBy { get; init; }

    /// <summary>When it was accepted.</summary>
    public required DateTimeOffset AcceptedAt { get; init; }

    /// <summary>SHA-256 of the policy text, lower-case hex.</summary>
    public required string PolicyHash { get; init; }
}
