namespace Carapace.Gateway;

/// <summary>The health of a supervised KMS at one moment.</summary>
/// <param name="Advertisement">Where it listens now (it may have moved after a restart) and what it attests.</param>
/// <param name="State">Up, restarting or stopped.</param>
/// <param name="Since">When it entered <paramref name="State"/>.</param>
/// <param name="Restarts">How many times the platform has restarted it successfully.</param>
/// <param name="LastError">Why it last went down or last failed to start (exit code, probe failure); null if never.</param>
/// <param name="RetryAfter">While it is not up: how long a caller should wait before retrying (an estimate).</param>
public sealed record KmsHealthReport(KmsAdvertisement Advertisement, KmsState State, DateTimeOffset Since, int Restarts, string? LastError, TimeSpan? RetryAfter);
