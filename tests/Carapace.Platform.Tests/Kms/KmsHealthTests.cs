using Carapace.Gateway;
using Carapace.Platform.Kms;
using Carapace.Worker.Pools;
using Microsoft.Extensions.Time.Testing;

namespace Carapace.Platform.Tests.Kms;

/// <summary>The supervised KMS's state machine: up, lost, restart attempts with backoff, back up (maybe moved), stopped.</summary>
public sealed class KmsHealthTests
{
    private static readonly KmsAdvertisement At7000 = new(new Uri("https://127.0.0.1:7000/"), "ab", new byte[] { 1, 2, 3 });
    private static readonly KmsAdvertisement At7001 = At7000 with { Url = new Uri("https://127.0.0.1:7001/") };
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero));

    private KmsHealth Health(KmsSupervisionOptions? options = null) => new(At7000, options ?? new KmsSupervisionOptions(), _time);

    [Fact]
    public void A_new_health_is_up_at_its_address_with_no_restarts()
    {
        var health = Health();

        Assert.Equal(At7000.Url, health.Locate());
        var report = health.Report;
        Assert.Equal(KmsState.Up, report.State);
        Assert.Equal(_time.GetUtcNow(), report.Since);
        Assert.Equal(0, report.Restarts);
        Assert.Null(report.LastError);
        Assert.Null(report.RetryAfter);
    }

    [Fact]
    public void A_lost_kms_is_restarting_and_refuses_specialisations_with_why_since_when_and_when_to_retry()
    {
        var health = Health();
        _time.Advance(TimeSpan.FromMinutes(5));

        var delay = health.Lost("was killed by signal 9 (pid 42)");

        Assert.Equal(TimeSpan.FromMilliseconds(250), delay);
        var refused = Assert.Throws<KmsUnavailableException>(() => health.Locate());
        Assert.Contains("restarting since 03:09:05Z", refused.Message, StringComparison.Ordinal);
        Assert.Contains("was killed by signal 9", refused.Message, StringComparison.Ordinal);
        // 0.25 s until the attempt plus 2 s for the start, rounded up.
        Assert.Equal(TimeSpan.FromSeconds(3), refused.RetryAfter);
        var report = health.Report;
        Assert.Equal(KmsState.Restarting, report.State);
        Assert.Equal(_time.GetUtcNow(), report.Since);
        Assert.Equal("was killed by signal 9 (pid 42)", report.LastError);
        Assert.Equal(TimeSpan.FromSeconds(3), report.RetryAfter);
    }

    [Fact]
    public void Failed_restarts_double_the_wait_up_to_the_cap_and_are_counted()
    {
        var health = Health();
        var delays = new List<TimeSpan> { health.Lost("exited with code 1") };
        for (var i = 0; i < 10; i++)
        {
            delays.Add(health.RestartFailed("the KMS exited with code 1 before it listened"));
        }

        Assert.Equal(
            [0.25, 0.5, 1, 2, 4, 8, 16, 30, 30, 30, 30],
            delays.Select(d => d.TotalSeconds));
        Assert.Equal(10, health.FailedAttempts);
        Assert.Equal("the KMS exited with code 1 before it listened", health.Report.LastError);
        Assert.Equal(TimeSpan.FromSeconds(32), health.RetryAfter);
    }

    [Fact]
    public void A_restart_brings_it_back_up_counts_it_and_says_whether_it_moved()
    {
        var health = Health();
        health.Lost("exited with code 137");
        health.RestartFailed("port taken");

        Assert.False(health.Restarted(At7000));
        Assert.Equal(KmsState.Up, health.State);
        Assert.Equal(0, health.FailedAttempts);
        Assert.Equal(1, health.Report.Restarts);

        health.Lost("exited with code 137");
        Assert.True(health.Restarted(At7001));
        Assert.Equal(At7001.Url, health.Locate());
        Assert.Equal(At7001, health.Advertisement);
        Assert.Equal(2, health.Report.Restarts);
        Assert.Equal("exited with code 137", health.Report.LastError);
    }

    [Fact]
    public void A_crash_loop_keeps_backing_off_and_the_backoff_starts_over_once_the_kms_stayed_up()
    {
        var health = Health(new KmsSupervisionOptions { StableAfter = TimeSpan.FromSeconds(60) });
        var delays = new List<TimeSpan>();
        for (var i = 0; i < 4; i++)
        {
            delays.Add(health.Lost("exited with code 1"));
            _time.Advance(delays[^1]);
            health.Restarted(At7000);
            _time.Advance(TimeSpan.FromSeconds(5));
        }

        Assert.Equal([0.25, 0.5, 1, 2], delays.Select(d => d.TotalSeconds));

        _time.Advance(TimeSpan.FromSeconds(60));
        Assert.Equal(TimeSpan.FromMilliseconds(250), health.Lost("exited with code 1"));
    }

    [Fact]
    public void Only_enough_failed_probes_in_a_row_make_a_kms_unresponsive()
    {
        var health = Health(new KmsSupervisionOptions { UnresponsiveAfter = 2 });

        Assert.False(health.ProbeFailed());
        health.ProbeSucceeded();
        Assert.False(health.ProbeFailed());
        Assert.True(health.ProbeFailed());
    }

    [Fact]
    public void A_stopped_health_refuses_and_ignores_late_restarts()
    {
        var health = Health();
        health.Stop();

        var refused = Assert.Throws<KmsUnavailableException>(() => health.Locate());
        Assert.Contains("the platform is stopping", refused.Message, StringComparison.Ordinal);
        Assert.False(health.Restarted(At7001));
        Assert.Equal(KmsState.Stopped, health.State);
        Assert.Equal(TimeSpan.Zero, health.Lost("exited with code 0"));
        Assert.Equal(KmsState.Stopped, health.State);
    }

    [Fact]
    public void Invalid_options_are_refused_with_every_problem_listed()
    {
        var error = Assert.Throws<ArgumentException>(() => Health(new KmsSupervisionOptions
        {
            FirstRestartDelay = TimeSpan.FromSeconds(10),
            MaxRestartDelay = TimeSpan.FromSeconds(1),
            ProbeInterval = TimeSpan.Zero,
            UnresponsiveAfter = 0,
        }));

        Assert.Contains("MaxRestartDelay", error.Message, StringComparison.Ordinal);
        Assert.Contains("ProbeInterval", error.Message, StringComparison.Ordinal);
        Assert.Contains("UnresponsiveAfter", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0, 0.25)]
    [InlineData(3, 2)]
    [InlineData(7, 30)]
    [InlineData(1000, 30)]
    [InlineData(-1, 0.25)]
    public void The_backoff_doubles_from_the_first_wait_and_never_passes_the_cap(int attempt, double seconds)
    {
        var backoff = new KmsRestartBackoff(TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(30));

        Assert.Equal(TimeSpan.FromSeconds(seconds), backoff.Delay(attempt));
    }
}
