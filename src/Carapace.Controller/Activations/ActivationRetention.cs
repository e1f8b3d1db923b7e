namespace Carapace.Controller.Activations;

/// <summary>
/// How long finished activations are kept: those that started more than <see cref="MaxAge"/> ago, and those beyond
/// the newest <see cref="MaxCount"/> of the store, are deleted with their sealed output, sealed logs and links every
/// <see cref="Interval"/>. Pending activations are never pruned, nor the step claims that make a request id run at
/// most once (see <see cref="ActivationStore.Prune"/>).
/// </summary>
public sealed record ActivationRetention
{
    /// <summary>Finished activations older than this are pruned (default 7 days); null keeps them whatever their age.</summary>
    public TimeSpan? MaxAge { get; init; } = TimeSpan.FromDays(7);

    /// <summary>At most this many finished activations are kept, the newest (default 100,000); null: no limit by count.</summary>
    public long? MaxCount { get; init; } = 100_000;

    /// <summary>How often the store is pruned (default 1 minute).</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>Keeps every activation (no pruning).</summary>
    public static ActivationRetention KeepAll { get; } = new() { MaxAge = null, MaxCount = null };

    /// <summary>Whether anything is ever pruned.</summary>
    public bool Prunes => MaxAge is not null || MaxCount is not null;

    /// <summary>Every problem with these settings, one sentence each; empty when they are valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (MaxAge is { } age && age < TimeSpan.FromMinutes(1))
        {
            problems.Add($"Retention.MaxAge {age} is below 1 minute; a client must have time to fetch a non-blocking invocation's result.");
        }

        if (MaxCount is { } count && count < 100)
        {
            problems.Add($"Retention.MaxCount {count} is below 100.");
        }

        if (Interval < TimeSpan.FromSeconds(1) || Interval > TimeSpan.FromDays(1))
        {
            problems.Add($"Retention.Interval {Interval} is outside 1 s..1 day.");
        }

        return problems;
    }
}
