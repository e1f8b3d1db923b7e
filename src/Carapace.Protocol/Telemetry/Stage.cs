using System.Diagnostics;

namespace Carapace.Protocol.Telemetry;

/// <summary>
/// One running stage of an invocation (see <see cref="StageTelemetry.Start"/>): ends, is measured and its span stopped
/// on the first dispose (later ones do nothing, so a stage may end early inside a <c>using</c> block).
/// </summary>
public sealed class Stage : IDisposable
{
    /// <summary>The stage of a component nothing listens to: costs nothing, records nothing.</summary>
    internal static readonly Stage None = new(null, null, null, 0);

    private readonly StageTelemetry? _owner;
    private readonly string? _name;
    private readonly long _started;
    private int _ended;

    internal Stage(StageTelemetry? owner, string? name, Activity? activity, long started)
    {
        _owner = owner;
        _name = name;
        Activity = activity;
        _started = started;
    }

    /// <summary>
    /// The stage's span, or null when nothing samples it: tag it with <c>stage.Activity?.SetTag(…)</c>, so an unsampled
    /// stage does not even compute the value. Tags are metadata only, never a payload, key, secret or user parameter.
    /// </summary>
    public Activity? Activity { get; }

    /// <summary>Ends the stage (once).</summary>
    public void Dispose()
    {
        if (_owner is null || Interlocked.Exchange(ref _ended, 1) != 0)
        {
            return;
        }

        _owner.Record(_name!, Stopwatch.GetElapsedTime(_started));
        Activity?.Dispose();
    }
}
