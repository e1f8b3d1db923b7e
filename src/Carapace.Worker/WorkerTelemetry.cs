using Carapace.Protocol;
using Carapace.Protocol.Telemetry;

namespace Carapace.Worker;

/// <summary>
/// The worker's spans and metrics (source and meter <see cref="Name"/>): <c>carapace.worker.invoke</c> (one invocation
/// in a function pool) with the stages <c>schedule</c> (a slot and an idle enclave), <c>specialize</c> (cold starts only),
/// <c>lane</c> (the round trip to the enclave), and inside the lane the stages the enclave reports in its result
/// (<see cref="EnclaveTimings"/>, <see cref="ResourceUsage"/>): <c>enclave</c> (all of it), <c>enclave.open</c>,
/// <c>enclave.run</c>, <c>enclave.seal</c>, <c>enclave.receipt</c>. Durations only; the worker never sees data.
/// </summary>
public static class WorkerTelemetry
{
    /// <summary>The activity source and meter name.</summary>
    public const string Name = "Carapace.Worker";

    /// <summary>The worker's instruments.</summary>
    public static StageTelemetry Stages { get; } = new(Name, "carapace.worker");

    /// <summary>
    /// Records the enclave's reported stages as children of the current (lane) span, which began at
    /// <paramref name="laneStart"/> and lasted <paramref name="lane"/>. The enclave measures durations, not instants: its
    /// time is placed in the middle of the round trip (the transport split evenly both ways) and its stages back to back.
    /// </summary>
    internal static void ReportEnclave(ResultMessage result, DateTime laneStart, TimeSpan lane)
    {
        if (result.Timings is not { } t)
        {
            return;
        }

        var total = Micros(t.TotalMicroseconds);
        var at = laneStart + (lane > total ? (lane - total) / 2 : TimeSpan.Zero);
        Stages.Reported("enclave", at, total);
        foreach (var (stage, micros) in new[]
        {
            ("enclave.open", t.OpenMicroseconds), ("enclave.run", result.Usage.WallMicroseconds),
            ("enclave.seal", t.SealMicroseconds), ("enclave.receipt", t.ReceiptMicroseconds),
        })
        {
            Stages.Reported(stage, at, Micros(micros));
            at += Micros(micros);
        }
    }

    private static TimeSpan Micros(long micros) => TimeSpan.FromMicroseconds(Math.Max(0, micros));
}
