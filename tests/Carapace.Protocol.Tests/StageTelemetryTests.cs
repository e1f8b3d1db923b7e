using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Carapace.Protocol.Telemetry;

namespace Carapace.Protocol.Tests;

public sealed class StageTelemetryTests
{
    [Fact]
    public void A_stage_nobody_listens_to_records_nothing_and_has_no_span()
    {
        var telemetry = new StageTelemetry("Carapace.Tests.Quiet", "carapace.quiet");

        using var stage = telemetry.Start("x");

        Assert.Null(stage.Activity);
        Assert.Null(Activity.Current);
    }

    [Fact]
    public void A_stage_is_a_child_span_and_one_measurement_however_often_it_is_disposed()
    {
        var telemetry = new StageTelemetry("Carapace.Tests.Stages", "carapace.tests");
        var spans = new ConcurrentQueue<Activity>();
        var measured = new ConcurrentQueue<(string Name, double Seconds, object? Stage)>();
        using var listener = Listen(telemetry.Name, spans);
        using var meters = Measure(telemetry.Name, measured);

        using (var outer = telemetry.Start("outer"))
        {
            var inner = telemetry.Start("inner");
            Assert.Same(inner.Activity, Activity.Current);
            inner.Dispose();
            inner.Dispose();
            Assert.Same(outer.Activity, Activity.Current);
            Assert.Equal(outer.Activity!.SpanId, inner.Activity!.ParentSpanId);
        }

        Assert.Equal(["carapace.tests.inner", "carapace.tests.outer"], spans.Select(a => a.OperationName));
        Assert.Equal(2, measured.Count);
        Assert.All(measured, m => Assert.Equal("carapace.tests.stage.duration", m.Name));
        Assert.Equal(["inner", "outer"], measured.Select(m => m.Stage));
        Assert.All(measured, m => Assert.True(m.Seconds >= 0));
    }

    [Fact]
    public void A_reported_stage_has_the_reported_start_and_length_under_the_current_span()
    {
        var telemetry = new StageTelemetry("Carapace.Tests.Reported", "carapace.reported");
        var spans = new ConcurrentQueue<Activity>();
        using var listener = Listen(telemetry.Name, spans);
        var start = new DateTime(2026, 12, 7, 12, 0, 0, DateTimeKind.Utc);

        using (var parent = telemetry.Start("lane"))
        {
            telemetry.Reported("enclave.open", start, TimeSpan.FromMicroseconds(40));
        }

        var reported = spans.Single(a => a.OperationName == "carapace.reported.enclave.open");
        Assert.Equal(start, reported.StartTimeUtc);
        Assert.Equal(TimeSpan.FromMicroseconds(40), reported.Duration);
        Assert.Equal(true, reported.GetTagItem("carapace.reported"));
        Assert.Equal(spans.Single(a => a.OperationName == "carapace.reported.lane").SpanId, reported.ParentSpanId);
    }

    private static ActivityListener Listen(string source, ConcurrentQueue<Activity> into)
    {
        var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == source,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = into.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
        return listener;
    }

    private static MeterListener Measure(string meter, ConcurrentQueue<(string, double, object?)> into)
    {
        var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == meter)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) =>
        {
            object? stage = null;
            foreach (var tag in tags)
            {
                if (tag.Key == StageTelemetry.StageTag)
                {
                    stage = tag.Value;
                }
            }

            into.Enqueue((instrument.Name, value, stage));
        });
        listener.Start();
        return listener;
    }
}
