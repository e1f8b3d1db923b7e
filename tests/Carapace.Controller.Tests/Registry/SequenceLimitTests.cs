using Carapace.Controller.Registry;
using Carapace.Controller.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace Carapace.Controller.Tests.Registry;

/// <summary>
/// A sequence runs at most <see cref="ActionExec.MaxSequenceSteps"/> actions with its nested sequences flattened, nests
/// at most <see cref="ActionExec.MaxSequenceDepth"/> deep, and expanding one stops at those bounds: refused when stored,
/// and again when resolved, since its components can change after it was stored.
/// </summary>
public sealed class SequenceLimitTests : IDisposable
{
    private static readonly byte[] s_module = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
    private readonly TempDir _dir = new();
    private readonly ActionRegistry _registry;

    public SequenceLimitTests()
    {
        _registry = new ActionRegistry(_dir.Database, new FakeTimeProvider(new DateTimeOffset(2025, 6, 1, 12, 0, 0, TimeSpan.Zero)));
        _registry.CreateNamespace("guest");
        Assert.True(_registry.Put(N("hello"), new ActionDefinition { Exec = ActionExec.Wasm(s_module) }, false).Succeeded);
    }

    public void Dispose()
    {
        _registry.Dispose();
        _dir.Dispose();
    }

    private static ActionName N(string name) => ActionName.Of("guest", name);

    private PutActionResult Seq(string name, params string[] components) =>
        _registry.Put(N(name), new ActionDefinition { Exec = ActionExec.Sequence(components.Select(c => $"/guest/{c}")) }, overwrite: true);

    private static string[] Times(string component, int count) => [.. Enumerable.Repeat(component, count)];

    [Fact]
    public void A_sequence_that_flattens_to_more_than_fifty_actions_is_refused_when_stored()
    {
        Assert.True(Seq("fifty", Times("hello", 50)).Succeeded);
        Assert.True(Seq("wrapped", "fifty").Succeeded);

        var tooLong = Seq("outer", "fifty", "hello");

        Assert.Equal(PutActionStatus.SequenceTooLong, tooLong.Status);
        Assert.Contains("more than 50 actions", tooLong.Error, StringComparison.Ordinal);
        Assert.Null(_registry.Get(N("outer")));
        Assert.Equal(50, _registry.Resolve(N("wrapped")).Steps.Count);
    }

    [Fact]
    public void A_sequence_whose_components_grew_past_the_limit_after_it_was_stored_is_refused_when_resolved()
    {
        Assert.True(Seq("half", Times("hello", 25)).Succeeded);
        Assert.True(Seq("whole", "half", "half").Succeeded);
        Assert.Equal(50, _registry.Resolve(N("whole")).Steps.Count);

        // The component alone is within the limit, so its update is stored; the sequence around it is not.
        Assert.True(Seq("half", Times("hello", 26)).Succeeded);
        var resolved = _registry.Resolve(N("whole"));

        Assert.Equal(SequenceResolutionStatus.TooLong, resolved.Status);
        Assert.Contains("/guest/whole expands to more than 50 actions", resolved.Error, StringComparison.Ordinal);
        Assert.Empty(resolved.Steps);
    }

    [Fact]
    public void Four_levels_of_fifty_reached_through_updates_are_refused_without_expanding_them()
    {
        // Each level is stored while the ones below it are single actions, then the lower levels grow one by one:
        // every put is within the limit, and the top ends up naming 50^4 = 6,250,000 steps.
        Assert.True(Seq("l1", "hello").Succeeded);
        Assert.True(Seq("l2", "l1").Succeeded);
        Assert.True(Seq("l3", "l2").Succeeded);
        Assert.True(Seq("l4", Times("l3", 50)).Succeeded);
        Assert.True(Seq("l3", Times("l2", 50)).Succeeded);
        Assert.True(Seq("l2", Times("l1", 50)).Succeeded);
        Assert.True(Seq("l1", Times("hello", 50)).Succeeded);

        var resolved = _registry.Resolve(N("l4"));

        Assert.Equal(SequenceResolutionStatus.TooLong, resolved.Status);
        Assert.Empty(resolved.Steps);
        Assert.Equal(SequenceResolutionStatus.TooLong, _registry.Resolve(N("l2")).Status);
        Assert.Equal(50, _registry.Resolve(N("l1")).Steps.Count);
        Assert.Equal(PutActionStatus.SequenceTooLong, Seq("l5", "l4").Status);
    }

    [Fact]
    public void Expanding_reads_a_bounded_number_of_records_and_stops_when_cancelled()
    {
        var hello = _registry.Get(N("hello"))!;
        var wide = Record("wide", Times("wide-inner", 50));
        var inner = Record("wide-inner", Times("hello", 50));
        var reads = 0;
        ActionRecord? Read(ActionName name)
        {
            reads++;
            return name.Name switch { "wide-inner" => inner, "hello" => hello, _ => null };
        }

        var resolved = SequenceExpansion.Expand(wide, Read);

        Assert.Equal(SequenceResolutionStatus.TooLong, resolved.Status);
        Assert.InRange(reads, ActionExec.MaxSequenceSteps, 2 * ActionExec.MaxSequenceSteps);
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.Throws<OperationCanceledException>(() => SequenceExpansion.Expand(wide, Read, cancelled.Token));
        Assert.Throws<OperationCanceledException>(() => _registry.Resolve(N("hello"), cancelled.Token));
    }

    [Fact]
    public void Sequences_nest_at_most_sixteen_deep()
    {
        Assert.True(Seq("d1", "hello").Succeeded);
        for (var depth = 2; depth <= ActionExec.MaxSequenceDepth; depth++)
        {
            Assert.True(Seq($"d{depth}", $"d{depth - 1}").Succeeded);
        }

        var tooDeep = Seq("d17", "d16");

        Assert.Equal(["hello"], _registry.Resolve(N("d16")).Steps.Select(s => s.Name.Name));
        Assert.Equal(PutActionStatus.SequenceTooLong, tooDeep.Status);
        Assert.Contains("more than 16 deep", tooDeep.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_nested_component_deleted_since_is_reported_when_a_sequence_around_it_is_stored()
    {
        Assert.True(Seq("inner", "hello").Succeeded);
        _registry.Put(N("gone"), new ActionDefinition { Exec = ActionExec.Wasm(s_module) }, false);
        Assert.True(Seq("inner", "hello", "gone").Succeeded);
        _registry.Delete(N("gone"));

        var outer = Seq("outer", "inner");

        Assert.Equal(PutActionStatus.UnknownComponent, outer.Status);
        Assert.Contains("/guest/gone of /guest/inner does not exist", outer.Error, StringComparison.Ordinal);
    }

    private static ActionRecord Record(string name, string[] components) => new()
    {
        Name = N(name),
        Version = "0.0.1",
        Exec = new ActionCode(ActionKinds.Sequence, null, 0, [.. components.Select(N)]),
        Limits = ActionLimits.Default,
        Annotations = [],
        Parameters = [],
        Confidential = true,
        Publish = false,
        Updated = default,
    };
}
