using Carapace.Envelope.Format;
using Carapace.Envelope.Keys;
using Carapace.Envelope.Replay;

namespace Carapace.Envelope.Tests.Replay;

/// <summary>The guard remembers request ids per edge, in a bounded window, for a bounded number of edges.</summary>
public sealed class ReplayGuardTests
{
    private static readonly KeyId s_edgeA = Edge(1);
    private static readonly KeyId s_edgeB = Edge(2);
    private static readonly KeyId s_edgeC = Edge(3);

    [Fact]
    public void First_sighting_is_accepted_and_the_second_is_a_replay()
    {
        var guard = new ReplayGuard();
        var id = RequestId.New();

        Assert.True(guard.TryAccept(s_edgeA, id));
        Assert.False(guard.TryAccept(s_edgeA, id));
        Assert.False(guard.TryAccept(s_edgeA, id));
        Assert.True(guard.Contains(s_edgeA, id));
    }

    [Fact]
    public void The_same_request_id_is_separate_on_each_edge()
    {
        var guard = new ReplayGuard();
        var id = RequestId.New();

        Assert.True(guard.TryAccept(s_edgeA, id));
        Assert.True(guard.TryAccept(s_edgeB, id));
        Assert.False(guard.TryAccept(s_edgeB, id));
        Assert.False(guard.Contains(s_edgeC, id));
    }

    [Fact]
    public void An_id_that_left_the_window_is_accepted_again()
    {
        var guard = new ReplayGuard(windowPerEdge: 2);
        RequestId a = Id(1), b = Id(2), c = Id(3);

        Assert.True(guard.TryAccept(s_edgeA, a));
        Assert.True(guard.TryAccept(s_edgeA, b));
        Assert.True(guard.TryAccept(s_edgeA, c));

        Assert.False(guard.Contains(s_edgeA, a));
        Assert.False(guard.TryAccept(s_edgeA, b));
        Assert.False(guard.TryAccept(s_edgeA, c));
        Assert.True(guard.TryAccept(s_edgeA, a));
    }

    [Fact]
    public void A_rejected_replay_does_not_refresh_its_place_in_the_window()
    {
        var guard = new ReplayGuard(windowPerEdge: 2);
        RequestId a = Id(1), b = Id(2), c = Id(3);
        guard.TryAccept(s_edgeA, a);
        guard.TryAccept(s_edgeA, b);

        Assert.False(guard.TryAccept(s_edgeA, a));
        Assert.True(guard.TryAccept(s_edgeA, c));

        Assert.False(guard.Contains(s_edgeA, a));
        Assert.True(guard.Contains(s_edgeA, b));
    }

    [Fact]
    public void The_least_recently_used_edge_is_forgotten_first()
    {
        var guard = new ReplayGuard(maxEdges: 2);
        var id = Id(7);
        guard.TryAccept(s_edgeA, id);
        guard.TryAccept(s_edgeB, id);
        guard.TryAccept(s_edgeA, Id(8)); // A is now more recent than B

        guard.TryAccept(s_edgeC, id);

        Assert.True(guard.Contains(s_edgeA, id));
        Assert.False(guard.Contains(s_edgeB, id));
        Assert.True(guard.Contains(s_edgeC, id));
        Assert.True(guard.TryAccept(s_edgeB, id));
    }

    [Fact]
    public void A_replay_attempt_counts_as_use_of_its_edge()
    {
        var guard = new ReplayGuard(maxEdges: 2);
        var id = Id(7);
        guard.TryAccept(s_edgeA, id);
        guard.TryAccept(s_edgeB, id);

        Assert.False(guard.TryAccept(s_edgeA, id));
        guard.TryAccept(s_edgeC, id);

        Assert.True(guard.Contains(s_edgeA, id));
        Assert.False(guard.Contains(s_edgeB, id));
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(1, 0)]
    [InlineData(-1, 1)]
    public void Window_and_edge_count_must_be_positive(int window, int edges)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new ReplayGuard(window, edges));
    }

    [Fact]
    public void Concurrent_distinct_ids_are_all_accepted_and_each_duplicate_is_accepted_exactly_once()
    {
        const int count = 20_000;
        var guard = new ReplayGuard(windowPerEdge: count, maxEdges: 8);
        var ids = Enumerable.Range(0, count).Select(Id).ToArray();
        var accepted = new int[count];

        // Every id is offered four times, on two edges, from many threads at once.
        Parallel.For(0, count * 4, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
        {
            var n = i % count;
            var edge = (i / count) % 2 == 0 ? s_edgeA : s_edgeB;
            if (guard.TryAccept(edge, ids[n]))
            {
                Interlocked.Increment(ref accepted[n]);
            }
        });

        Assert.All(accepted, a => Assert.Equal(2, a));
        Assert.All(ids, id => Assert.True(guard.Contains(s_edgeA, id) && guard.Contains(s_edgeB, id)));
    }

    [Fact]
    public void A_forgotten_record_frees_its_request_id_and_its_place_in_the_window()
    {
        var guard = new ReplayGuard(windowPerEdge: 2);
        RequestId a = Id(1), b = Id(2), c = Id(3);
        Assert.True(guard.TryAccept(s_edgeA, a, out var record));
        guard.TryAccept(s_edgeA, b);

        guard.Forget(s_edgeA, record!);
        Assert.True(guard.TryAccept(s_edgeA, c));

        Assert.False(guard.Contains(s_edgeA, a));
        Assert.True(guard.Contains(s_edgeA, b));
        Assert.True(guard.Contains(s_edgeA, c));
    }

    [Fact]
    public void Forgetting_a_record_that_left_the_window_keeps_a_newer_record_of_the_same_id()
    {
        var guard = new ReplayGuard(windowPerEdge: 1);
        RequestId a = Id(1), b = Id(2);
        guard.TryAccept(s_edgeA, a, out var stale);
        guard.TryAccept(s_edgeA, b);
        Assert.True(guard.TryAccept(s_edgeA, a));

        guard.Forget(s_edgeA, stale!);

        Assert.True(guard.Contains(s_edgeA, a));
        Assert.False(guard.TryAccept(s_edgeA, a));
    }

    [Fact]
    public void A_refused_replay_hands_out_no_record()
    {
        var guard = new ReplayGuard();
        var a = Id(1);
        guard.TryAccept(s_edgeA, a);

        Assert.False(guard.TryAccept(s_edgeA, a, out var record));
        Assert.Null(record);
    }

    private static KeyId Edge(int n) => KeyId.TryParse(n.ToString("x16", System.Globalization.CultureInfo.InvariantCulture), out var id) ? id : default;

    private static RequestId Id(int n)
    {
        var bytes = new byte[RequestId.Size];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(bytes, n);
        bytes[15] = 0x5a;
        return RequestId.FromBytes(bytes);
    }
}
