namespace Carapace.Kms.Secrets;

/// <summary>An applied secret write.</summary>
public sealed record SecretWriteResult
{
    /// <summary>The namespace.</summary>
    public required string Namespace { get; init; }

    /// <summary>The secret.</summary>
    public required string Secret { get; init; }

    /// <summary>Put or delete.</summary>
    public required SecretOperation Operation { get; init; }

    /// <summary>The write's version; for a put also the version of the value now stored.</summary>
    public required long Version { get; init; }

    /// <summary>When it was applied.</summary>
    public required DateTimeOffset At { get; init; }

    /// <summary>The owners whose valid signatures approved it.</summary>
    public required IReadOnlyList<string> ApprovedBy { get; init; }

    /// <summary>Signatures that did not count (not an owner, not valid, a second one by the same owner), one note each.</summary>
    public IReadOnlyList<string> Ignored { get; init; } = [];
}
