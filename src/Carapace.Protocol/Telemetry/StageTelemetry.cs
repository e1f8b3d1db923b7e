using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Carapace.Protocol.Telemetry;

/// <summary>
/// One component's OpenTelemetry-compatible instruments: an <see cref="ActivitySource"/> and a <see cref="Meter"/>, both
/// named <see cref="Name"/> (e.g. <c>Carapace.Controller</c>), whose stages become spans named
/// <c>&lt;prefix&gt;.&lt;stage&gt;</c> and measurements of the histogram <c>&lt;prefix&gt;.stage.duration</c> (seconds,
/// tagged <c>carapace.stage</c>). Spans exist only while a listener (the OpenTelemetry SDK, a benchmark) samples them;
/// tags carry metadata only — never a payload, key, secret or user parameter.
/// </summary>
public sealed class StageTelemetry
{
    /// <summary>The tag that names the stage of a duration measurement.</summary>
    public const string StageTag = "carapace.stage";

    private readonly Histogram<double> _duration;
    private readonly string _spanPrefix;

    /// <summary>Creates the source and meter <paramref name="name"/>; spans and the histogram are prefixed <paramref name="prefix"/>.</summary>
    public StageTelemetry(string name, string prefix)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentException.ThrowIfNullOrWhiteSpace(prefix);
        Name = name;
        _spanPrefix = prefix + ".";
        Source = new ActivitySource(name);
        Meter = new Meter(name);
        _duration = Meter.CreateHistogram<double>(prefix + ".stage.duration", "s", "Duration of one stage of an invocation, by carapace.stage.");
    }

    /// <summary>The name of the activity source and of the meter.</summary>
    public string Name { get; }

    /// <summary>The source of this component's spans.</summary>
    public ActivitySource Source { get; }

    /// <summary>The meter of this component's metrics.</summary>
    public Meter Meter { get; }

    /// <summary>The span name of <paramref name="stage"/>.</summary>
    public string SpanName(string stage) => _spanPrefix + stage;

    /// <summary>Starts timing <paramref name="stage"/> (a child span of the current one, when sampled); dispose to end it.</summary>
    public Stage Start(string stage) => Source.HasListeners() || _duration.Enabled
        ? new(this, stage, Source.StartActivity(SpanName(stage), ActivityKind.Internal), Stopwatch.GetTimestamp())
        : Stage.None;

    /// <summary>
    /// Records a stage measured elsewhere (e.g. inside an enclave and reported across the boundary) as a span from
    /// <paramref name="start"/> lasting <paramref name="duration"/>, a child of the current span, and as a measurement.
    /// </summary>
    public void Reported(string stage, DateTime start, TimeSpan duration)
    {
        Record(stage, duration);
        if (Source.HasListeners() && Source.StartActivity(SpanName(stage), ActivityKind.Internal, parentContext: default, startTime: start) is { } activity)
        {
            activity.SetTag("carapace.reported", true);
            activity.SetEndTime(start + duration);
            activity.Stop();
        }
    }

    /// <summary>Adds one duration measurement of <paramref name="stage"/>.</summary>
    public void Record(string stage, TimeSpan duration)
    {
        if (_duration.Enabled)
        {
            _duration.Record(duration.TotalSeconds, new KeyValuePair<string, object?>(StageTag, stage));
        }
    }
}
