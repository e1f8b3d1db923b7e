namespace Carapace.Fuzz;

/// <summary>How one input fared: the parser accepted it, or refused it with a documented exception.</summary>
internal enum FuzzOutcome
{
    /// <summary>Parsed without error.</summary>
    Accepted,

    /// <summary>Refused with one of the target's documented exception types.</summary>
    Refused,
}

/// <summary>
/// The rule every target is held to, in the fuzzer and in the corpus replay alike. An input may be accepted or refused
/// with a documented exception; a crash is anything else: an undocumented exception (it propagates unchanged, so the
/// fuzzer records it and a test shows its stack), or an allocation out of proportion to the input
/// (<see cref="ExcessiveAllocationException"/>). Hangs are caught by the fuzzer's per-input timeout.
/// </summary>
internal static class CrashRule
{
    /// <summary>Bytes any single parse may allocate regardless of input size (JSON documents, certificates, tables).</summary>
    public const long BaseAllocationBudget = 16L << 20;

    /// <summary>Further bytes a parse may allocate per input byte.</summary>
    public const long AllocationPerInputByte = 32;

    /// <summary>The allocation budget of a parse of <paramref name="inputLength"/> bytes.</summary>
    public static long AllocationBudget(int inputLength) => BaseAllocationBudget + (AllocationPerInputByte * inputLength);

    /// <summary>Runs <paramref name="target"/> on <paramref name="input"/> and applies the rule.</summary>
    /// <exception cref="ExcessiveAllocationException">The parse allocated more than <see cref="AllocationBudget"/>.</exception>
    public static FuzzOutcome Run(FuzzTarget target, byte[] input) => Run(target, input, out _);

    /// <summary>Runs <paramref name="target"/> on <paramref name="input"/> and applies the rule; <paramref name="refusal"/> is the documented exception of a refusal.</summary>
    /// <exception cref="ExcessiveAllocationException">The parse allocated more than <see cref="AllocationBudget"/>.</exception>
    public static FuzzOutcome Run(FuzzTarget target, byte[] input, out Exception? refusal)
    {
        refusal = null;
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(input);
        var before = GC.GetAllocatedBytesForCurrentThread();
        FuzzOutcome outcome;
        try
        {
            target.Parse(input);
            outcome = FuzzOutcome.Accepted;
        }
        catch (Exception e) when (target.IsRefusal(e))
        {
            outcome = FuzzOutcome.Refused;
            refusal = e;
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        var budget = AllocationBudget(input.Length);
        if (allocated > budget)
        {
            throw new ExcessiveAllocationException(target.Name, input.Length, allocated, budget);
        }

        return outcome;
    }
}

/// <summary>A parse allocated more than its budget: the input makes the parser reserve memory the input does not justify.</summary>
internal sealed class ExcessiveAllocationException(string target, int inputLength, long allocated, long budget)
    : Exception($"{target}: a {inputLength}-byte input made the parser allocate {allocated} bytes (budget {budget})");
