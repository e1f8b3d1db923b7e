namespace Carapace.Kms.Secrets;

/// <summary>
/// A secret write was refused. <see cref="Errors"/> lists every problem found, each naming the field or rule at fault;
/// none ever contains a secret value (the KMS never has one in hand when it writes them, and documents hold only sealed ones).
/// </summary>
public sealed class SecretWriteException : Exception
{
    /// <summary>Creates the error from all problems found.</summary>
    public SecretWriteException(SecretWriteRejection reason, IReadOnlyList<string> errors)
        : base(Describe(reason, errors))
    {
        Reason = reason;
        Errors = errors;
    }

    /// <summary>The class of refusal (the most fundamental one when several apply).</summary>
    public SecretWriteRejection Reason { get; }

    /// <summary>Every problem found, one sentence each.</summary>
    public IReadOnlyList<string> Errors { get; }

    private static string Describe(SecretWriteRejection reason, IReadOnlyList<string> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        var what = reason switch
        {
            SecretWriteRejection.Malformed => "the secret write is malformed",
            SecretWriteRejection.Mismatch => "the secret write does not match the request",
            SecretWriteRejection.UnknownNamespace => "the namespace has no policy",
            SecretWriteRejection.UnknownSecret => "the policy does not declare the secret",
            SecretWriteRejection.NoValue => "the secret has no value",
            SecretWriteRejection.Expired => "the secret write's approvals expired",
            SecretWriteRejection.StaleVersion => "the secret write is not the secret's next write",
            SecretWriteRejection.InsufficientApprovals => "the secret write lacks the required owner approvals",
            SecretWriteRejection.Unsealable => "the sealed value cannot be opened by this KMS",
            _ => "the secret write was refused",
        };
        return errors.Count switch
        {
            0 => what,
            1 => $"{what}: {errors[0]}",
            _ => $"{what} ({errors.Count} problems):" + string.Concat(errors.Select(e => "\n  - " + e)),
        };
    }
}
