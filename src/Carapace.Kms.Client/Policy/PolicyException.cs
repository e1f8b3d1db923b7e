namespace Carapace.Kms.Client.Policy;

/// <summary>
/// A policy or signed policy document was rejected. <see cref="Errors"/> lists every problem found, not only the
/// first, each naming the field (as a JSON path) or rule at fault. Policies hold no secret values, so neither do these.
/// </summary>
public sealed class PolicyException : Exception
{
    /// <summary>Creates the error from all problems found.</summary>
    public PolicyException(PolicyRejection reason, IReadOnlyList<string> errors)
        : base(Describe(reason, errors))
    {
        Reason = reason;
        Errors = errors;
    }

    /// <summary>The class of rejection (the most fundamental one when several apply).</summary>
    public PolicyRejection Reason { get; }

    /// <summary>Every problem found, one sentence each.</summary>
    public IReadOnlyList<string> Errors { get; }

    private static string Describe(PolicyRejection reason, IReadOnlyList<string> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        var what = reason switch
        {
            PolicyRejection.Malformed => "the policy is malformed",
            PolicyRejection.Invalid => "the policy is invalid",
            PolicyRejection.Rollback => "the policy is not newer than the current one",
            PolicyRejection.InsufficientApprovals => "the policy lacks the required owner approvals",
            PolicyRejection.Tampered => "a stored policy failed its integrity check",
            _ => "the policy was rejected",
        };
        return errors.Count == 1
            ? $"{what}: {errors[0]}"
            : $"{what} ({errors.Count} problems):" + string.Concat(errors.Select(e => "\n  - " + e));
    }
}
