namespace Carapace.Worker.Pools;

/// <summary>
/// A function that gets its keys from the KMS could not be specialised because the KMS is unavailable for now (down,
/// restarting, not answering, or unable to record a release): nothing ran, nothing about the function is wrong, and
/// the same request may succeed after <see cref="RetryAfter"/>. The message says what happened in public terms only.
/// </summary>
public sealed class KmsUnavailableException : Exception
{
    /// <summary>Creates the error.</summary>
    public KmsUnavailableException(string message, TimeSpan retryAfter, Exception? inner = null)
        : base(message, inner)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(retryAfter, TimeSpan.Zero);
        RetryAfter = retryAfter;
    }

    /// <summary>How long to wait before trying again (an estimate: when the KMS is expected back).</summary>
    public TimeSpan RetryAfter { get; }
}
