namespace Carapace.Gateway;

/// <summary>The worker's prewarmed enclave processes at one moment.</summary>
/// <param name="Target">How many the pool keeps ready.</param>
/// <param name="Ready">How many are ready now.</param>
/// <param name="StartFailures">Background starts that failed so far.</param>
public sealed record StemCellHealth(int Target, int Ready, long StartFailures);
