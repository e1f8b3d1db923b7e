using System.Collections.Concurrent;
using System.Diagnostics;
using Carapace.Platform;

namespace Carapace.Cli.Bench;

/// <summary>
/// <c>bench invoke --breakdown</c>: collects, with an <see cref="ActivityListener"/> in this process, the spans the
/// embedded platform's components emit (<see cref="PlatformTelemetry.Sources"/>) while warm invocations run, and gives
/// each stage's p50 over the invocations, in the order of the invocation path.
/// </summary>
internal sealed class StageBreakdown : IDisposable
{
    /// <summary>The client-side round trip (measured by the benchmark, not a span).</summary>
    public const string ClientStage = "client round trip";

    /// <summary>The round trip less the gateway's request span: the client's sealing and opening, and the network.</summary>
    public const string OutsideStage = "client and network";

    /// <summary>The lane less the time inside the enclave: both transports and the worker's waits.</summary>
    public const string TransportStage = "lane transport";

    /// <summary>The stages in invocation order, each with its depth in the span tree (the derived ones too).</summary>
    public static readonly IReadOnlyList<(string Stage, int Depth)> Order =
    [
        (ClientStage, 0),
        (OutsideStage, 1),
        ("carapace.gateway.request", 1),
        ("carapace.gateway.auth", 2),
        ("carapace.gateway.invoke", 2),
        ("carapace.gateway.parse", 3),
        ("carapace.controller.admission", 3),
        ("carapace.controller.record", 3),
        ("carapace.controller.step", 3),
        ("carapace.worker.invoke", 4),
        ("carapace.worker.schedule", 5),
        ("carapace.worker.specialize", 5),
        ("carapace.worker.lane", 5),
        (TransportStage, 6),
        ("carapace.worker.enclave", 6),
        ("carapace.worker.enclave.open", 7),
        ("carapace.worker.enclave.run", 7),
        ("carapace.worker.enclave.seal", 7),
        ("carapace.worker.enclave.receipt", 7),
        ("carapace.controller.finish", 4),
        ("carapace.gateway.respond", 3),
    ];

    private readonly ActivityListener _listener;
    private readonly ConcurrentQueue<Activity> _stopped = new();
    private readonly ConcurrentQueue<double> _client = new();

    public StageBreakdown()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = source => PlatformTelemetry.Sources.Contains(source.Name),
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = _stopped.Enqueue,
        };
        ActivitySource.AddActivityListener(_listener);
    }

    /// <summary>Adds one invocation's round trip as the client saw it, in microseconds.</summary>
    public void AddClient(double microseconds) => _client.Enqueue(microseconds);

    /// <summary>
    /// Waits (at most <paramref name="limit"/>) until the gateway has ended the request span of every invocation the
    /// client saw: the client may have its answer a moment before the server's spans stop.
    /// </summary>
    public async Task SettleAsync(TimeSpan limit, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        while (Finished() < _client.Count && watch.Elapsed < limit)
        {
            await Task.Delay(10, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Every span collected so far.</summary>
    public IReadOnlyCollection<Activity> Spans => _stopped;

    /// <summary>
    /// The p50 of each stage over the collected invocations (traces with a <c>carapace.gateway.invoke</c> span), in
    /// <see cref="Order"/>; a stage seen in no invocation (e.g. <c>specialize</c> when all were warm) is left out.
    /// </summary>
    public IReadOnlyList<(string Stage, int Depth, Latencies Latencies)> Report()
    {
        var samples = new Dictionary<string, List<double>>(StringComparer.Ordinal) { [ClientStage] = [.. _client], [OutsideStage] = [], [TransportStage] = [] };
        var clients = _client.ToArray();
        var traces = _stopped.GroupBy(a => a.TraceId).Where(t => t.Any(a => a.OperationName == "carapace.gateway.invoke")).OrderBy(t => t.Min(a => a.StartTimeUtc)).ToList();
        // The invocations ran one at a time: the n-th trace is the n-th round trip (unless a trace went missing).
        var paired = traces.Count == clients.Length;
        var index = 0;
        foreach (var trace in traces)
        {
            // One invocation: a stage that ran more than once in it (the steps of a chain) counts with its sum.
            var sums = trace.GroupBy(a => a.OperationName).ToDictionary(g => g.Key, g => g.Sum(a => a.Duration.TotalMicroseconds), StringComparer.Ordinal);
            foreach (var (stage, micros) in sums)
            {
                (samples.TryGetValue(stage, out var list) ? list : samples[stage] = []).Add(micros);
            }

            if (sums.TryGetValue("carapace.worker.lane", out var lane) && sums.TryGetValue("carapace.worker.enclave", out var enclave))
            {
                samples[TransportStage].Add(lane - enclave);
            }

            if (paired && sums.TryGetValue("carapace.gateway.request", out var request))
            {
                samples[OutsideStage].Add(clients[index] - request);
            }

            index++;
        }

        return [.. Order.Where(o => samples.TryGetValue(o.Stage, out var s) && s.Count > 0).Select(o => (o.Stage, o.Depth, new Latencies(samples[o.Stage])))];
    }

    public void Dispose() => _listener.Dispose();

    /// <summary>Invocations whose request span has ended.</summary>
    private int Finished()
    {
        var invocations = _stopped.Where(a => a.OperationName == "carapace.gateway.invoke").Select(a => a.TraceId).ToHashSet();
        return _stopped.Count(a => a.OperationName == "carapace.gateway.request" && invocations.Contains(a.TraceId));
    }
}
