using Carapace.Controller.Scheduling;

namespace Carapace.Controller.Tests.Scheduling;

public sealed class AdmissionQueueTests
{
    [Fact]
    public async Task A_full_queue_rejects_with_a_typed_exception_that_says_to_retry()
    {
        var queue = new AdmissionQueue(new AdmissionOptions { PerNamespaceConcurrency = 1, MaxQueueLength = 1 });
        using var running = await queue.EnterAsync("guest");
        var waiting = queue.EnterAsync("guest");

        var rejected = await Assert.ThrowsAsync<QueueFullException>(() => queue.EnterAsync("guest").AsTask());

        Assert.False(waiting.IsCompleted);
        Assert.Equal("guest", rejected.Namespace);
        Assert.Contains("retry later", rejected.Message);
        Assert.Equal(1, queue.QueuedCount);
    }

    [Fact]
    public async Task Namespaces_have_separate_slots()
    {
        var queue = new AdmissionQueue(new AdmissionOptions { PerNamespaceConcurrency = 2, MaxQueueLength = 0 });
        using var a1 = await queue.EnterAsync("a");
        using var a2 = await queue.EnterAsync("a");
        using var b1 = await queue.EnterAsync("b");

        await Assert.ThrowsAsync<QueueFullException>(() => queue.EnterAsync("a").AsTask());
        Assert.Equal(2, queue.RunningCount("a"));
        Assert.Equal(1, queue.RunningCount("b"));
    }

    [Fact]
    public async Task A_released_slot_admits_the_oldest_waiter()
    {
        var queue = new AdmissionQueue(new AdmissionOptions { PerNamespaceConcurrency = 1, MaxQueueLength = 10 });
        var first = await queue.EnterAsync("guest");
        var second = queue.EnterAsync("guest").AsTask();
        var third = queue.EnterAsync("guest").AsTask();

        first.Dispose();
        first.Dispose();
        var secondLease = await second.WaitAsync(TimeSpan.FromSeconds(5));

        Assert.False(third.IsCompleted);
        Assert.Equal(1, queue.RunningCount("guest"));
        secondLease.Dispose();
        (await third.WaitAsync(TimeSpan.FromSeconds(5))).Dispose();
        Assert.Equal(0, queue.RunningCount("guest"));
        Assert.Equal(0, queue.QueuedCount);
    }

    [Fact]
    public async Task A_cancelled_waiter_leaves_the_queue_and_frees_its_place()
    {
        var queue = new AdmissionQueue(new AdmissionOptions { PerNamespaceConcurrency = 1, MaxQueueLength = 1 });
        var running = await queue.EnterAsync("guest");
        using var cts = new CancellationTokenSource();
        var cancelled = queue.EnterAsync("guest", cts.Token).AsTask();

        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        Assert.Equal(0, queue.QueuedCount);
        var next = queue.EnterAsync("guest").AsTask();
        running.Dispose();
        (await next.WaitAsync(TimeSpan.FromSeconds(5))).Dispose();
        Assert.Equal(0, queue.RunningCount("guest"));
    }

    [Fact]
    public async Task Waiting_inputs_are_bounded_by_the_bytes_they_hold_and_a_refusal_names_the_bound()
    {
        var queue = new AdmissionQueue(new AdmissionOptions { PerNamespaceConcurrency = 1, MaxQueueLength = 100, MaxQueuedBytes = 1000 });
        var running = await queue.EnterAsync("guest", bytes: 5_000);
        var first = queue.EnterAsync("guest", bytes: 600).AsTask();

        var refused = Assert.Throws<QueueFullException>(() => queue.EnterAsync("guest", bytes: 401));
        var fits = queue.EnterAsync("guest", bytes: 400).AsTask();

        Assert.Contains("1000 bytes", refused.Message, StringComparison.Ordinal);
        Assert.Contains("retry later", refused.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(1000, queue.QueuedBytes);
        running.Dispose();
        (await first.WaitAsync(TimeSpan.FromSeconds(5))).Dispose();
        (await fits.WaitAsync(TimeSpan.FromSeconds(5))).Dispose();
        Assert.Equal(0, queue.QueuedBytes);
        Assert.Equal(0, queue.RunningCount("guest"));
    }

    [Fact]
    public async Task Concurrency_never_exceeds_the_limit_under_load()
    {
        var queue = new AdmissionQueue(new AdmissionOptions { PerNamespaceConcurrency = 4, MaxQueueLength = 1000 });
        var inside = 0;
        var peak = 0;

        await Task.WhenAll(Enumerable.Range(0, 200).Select(async _ =>
        {
            using var lease = await queue.EnterAsync("guest");
            var now = Interlocked.Increment(ref inside);
            InterlockedMax(ref peak, now);
            await Task.Yield();
            Interlocked.Decrement(ref inside);
        }));

        Assert.InRange(peak, 1, 4);
        Assert.Equal(0, queue.RunningCount("guest"));
    }

    [Fact]
    public void Invalid_options_are_all_reported_at_once()
    {
        var error = Assert.Throws<ArgumentException>(() => new AdmissionQueue(new AdmissionOptions
        {
            PerNamespaceConcurrency = 0, MaxQueueLength = -1, MaxQueuedBytes = -1,
        }));

        Assert.Contains("PerNamespaceConcurrency", error.Message);
        Assert.Contains("MaxQueueLength", error.Message);
        Assert.Contains("MaxQueuedBytes", error.Message);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while ((current = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }
}
