namespace Carapace.Controller;

/// <summary>
/// A page of a list, with OpenWhisk's rules: <c>skip</c> defaults to 0, <c>limit</c> to <see cref="DefaultLimit"/> and
/// may not exceed <see cref="MaxLimit"/>; a <c>limit</c> of 0 means the maximum. <c>skip</c> may not exceed
/// <see cref="MaxSkip"/>: the database walks every skipped entry, so one request's work stays bounded however many
/// activations a namespace has.
/// </summary>
public readonly record struct PageRequest
{
    /// <summary>The page size when none is given (OpenWhisk: 30).</summary>
    public const int DefaultLimit = 30;

    /// <summary>The largest page a list returns (OpenWhisk: 200).</summary>
    public const int MaxLimit = 200;

    /// <summary>The most entries a list may skip (100,000).</summary>
    public const int MaxSkip = 100_000;

    private PageRequest(int skip, int limit)
    {
        Skip = skip;
        Limit = limit;
    }

    /// <summary>The first page: skip 0, limit <see cref="DefaultLimit"/>.</summary>
    public static PageRequest Default { get; } = new(0, DefaultLimit);

    /// <summary>How many entries to skip (0 to <see cref="MaxSkip"/>).</summary>
    public int Skip { get; }

    /// <summary>How many entries at most (1 to <see cref="MaxLimit"/>).</summary>
    public int Limit { get; }

    /// <summary>
    /// Validates query parameters as a client sent them; on failure <paramref name="error"/> says what was wrong in
    /// the words the gateway returns with a 400.
    /// </summary>
    public static bool TryCreate(int? skip, int? limit, out PageRequest page, out string? error)
    {
        page = Default;
        error = null;
        if (skip is < 0)
        {
            error = $"The value {skip} of 'skip' is negative; use 0 or more.";
            return false;
        }

        if (skip is > MaxSkip)
        {
            error = $"The value {skip} of 'skip' is above {MaxSkip}, the most entries a list skips; narrow the list (e.g. with 'name') instead.";
            return false;
        }

        if (limit is < 0 or > MaxLimit)
        {
            error = $"The value {limit} of 'limit' is outside 0..{MaxLimit}; ask for at most {MaxLimit} entries per page.";
            return false;
        }

        page = new PageRequest(skip ?? 0, limit switch { null => DefaultLimit, 0 => MaxLimit, var l => l.Value });
        return true;
    }
}
