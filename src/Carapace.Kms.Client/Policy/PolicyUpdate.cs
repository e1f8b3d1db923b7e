namespace Carapace.Kms.Client.Policy;

/// <summary>The result of an accepted policy update.</summary>
public sealed record PolicyUpdate
{
    /// <summary>The namespace updated.</summary>
    public required string Namespace { get; init; }

    /// <summary>The version now current.</summary>
    public required ulong Version { get; init; }

    /// <summary>The version it replaced, or null when the namespace is new.</summary>
    public ulong? PreviousVersion { get; init; }

    /// <summary>The owners whose valid signatures approved it.</summary>
    public required IReadOnlyList<string> ApprovedBy { get; init; }

    /// <summary>Signatures that did not count (unknown signer, bad signature, duplicate), one note each.</summary>
    public required IReadOnlyList<string> Ignored { get; init; }

    /// <summary>SHA-256 of the policy text, lower-case hex.</summary>
    public required string PolicyHash { get; init; }
}
