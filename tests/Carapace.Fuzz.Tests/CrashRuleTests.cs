using Carapace.Fuzz;

namespace Carapace.Fuzz.Tests;

public sealed class CrashRuleTests
{
    private static FuzzTarget Target(Action<byte[]> parse) => new("test", "test", parse, [typeof(FormatException)]);

    [Fact]
    public void Accepted_and_documented_refusals_pass()
    {
        Assert.Equal(FuzzOutcome.Accepted, CrashRule.Run(Target(_ => { }), [1, 2, 3]));
        Assert.Equal(FuzzOutcome.Refused, CrashRule.Run(Target(_ => throw new FormatException("bad")), [1]));
    }

    [Fact]
    public void An_undocumented_exception_propagates_unchanged()
    {
        var thrown = Assert.Throws<IndexOutOfRangeException>(() => CrashRule.Run(Target(b => _ = b[5]), [1]));
        Assert.NotNull(thrown.StackTrace);
    }

    [Fact]
    public void An_allocation_beyond_the_budget_is_a_crash_even_when_the_input_is_refused()
    {
        var budget = CrashRule.AllocationBudget(4);
        var e = Assert.Throws<ExcessiveAllocationException>(() => CrashRule.Run(Target(_ =>
        {
            GC.KeepAlive(new byte[budget + 1]);
            throw new FormatException("refused after reserving memory");
        }), [0, 0, 0, 0]));
        Assert.Contains("4-byte input", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Target_names_are_unique_lower_case_and_dash_separated()
    {
        var names = FuzzTargets.All.Select(t => t.Name).ToList();
        Assert.Equal(names.Count, names.Distinct(StringComparer.Ordinal).Count());
        Assert.All(names, n => Assert.Matches("^[a-z0-9]+(-[a-z0-9]+)*$", n));
    }
}
