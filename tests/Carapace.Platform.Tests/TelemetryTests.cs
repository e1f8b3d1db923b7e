using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Carapace.Envelope.Format;
using Carapace.Envelope.Sealing;

namespace Carapace.Platform.Tests;

/// <summary>
/// The spans and metrics of real invocations through the embedded platform: every stage of the invocation path, in
/// order and properly nested, and nothing of the payload in any span or measurement.
/// </summary>
public sealed class TelemetryTests : IAsyncLifetime
{
    // Marks the input; neither it nor the output the function makes of it (upper case) may appear in any telemetry.
    private const string Marker = "telemetry-marker-5b9e0c";

    private static readonly string[] s_warmStages =
    [
        "carapace.gateway.request", "carapace.gateway.auth", "carapace.gateway.invoke", "carapace.gateway.parse",
        "carapace.controller.admission", "carapace.controller.record", "carapace.controller.step", "carapace.worker.invoke",
        "carapace.worker.schedule", "carapace.worker.lane", "carapace.worker.enclave", "carapace.worker.enclave.open",
        "carapace.worker.enclave.run", "carapace.worker.enclave.seal", "carapace.worker.enclave.receipt",
        "carapace.controller.finish", "carapace.gateway.respond",
    ];

    private PlatformFixture _platform = null!;
    private readonly ConcurrentQueue<Activity> _spans = new();
    private readonly ConcurrentQueue<(string Instrument, string Tags)> _measurements = new();

    public async Task InitializeAsync() => _platform = await PlatformFixture.StartAsync();

    public async Task DisposeAsync() => await _platform.DisposeAsync();

    [Fact]
    public async Task The_spans_of_a_warm_invocation_cover_every_stage_in_order()
    {
        await _platform.DeployAsync("hello", "hello");
        using var keys = await _platform.ChainKeysAsync("hello");
        var client = _platform.Client();
        // Cold first, unobserved: the observed invocation is a warm one.
        using (var cold = await client.PostAsync("api/v1/namespaces/_/actions/hello?blocking=true&result=true", Sealed(keys, "warm up")))
        {
            Assert.Equal(HttpStatusCode.OK, cold.StatusCode);
        }

        using (Listen())
        {
            using var response = await client.PostAsync("api/v1/namespaces/_/actions/hello?blocking=true&result=true", Sealed(keys, Marker));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            await SettleAsync();
        }

        var trace = Invocation();
        var names = trace.Select(a => a.OperationName).ToHashSet(StringComparer.Ordinal);
        Assert.All(s_warmStages, stage => Assert.Contains(stage, names));
        Assert.DoesNotContain("carapace.worker.specialize", names);
        var span = trace.GroupBy(a => a.OperationName).ToDictionary(g => g.Key, g => g.Single(), StringComparer.Ordinal);

        // Nesting: each stage inside the one that contains it.
        AssertChild(span, "carapace.gateway.request", "carapace.gateway.auth", "carapace.gateway.invoke");
        AssertChild(span, "carapace.gateway.invoke", "carapace.gateway.parse", "carapace.controller.admission", "carapace.controller.record",
            "carapace.controller.step", "carapace.gateway.respond");
        AssertChild(span, "carapace.controller.step", "carapace.worker.invoke", "carapace.controller.finish");
        AssertChild(span, "carapace.worker.invoke", "carapace.worker.schedule", "carapace.worker.lane");
        AssertChild(span, "carapace.worker.lane", "carapace.worker.enclave", "carapace.worker.enclave.open", "carapace.worker.enclave.run",
            "carapace.worker.enclave.seal", "carapace.worker.enclave.receipt");

        // Order: each stage ends before the next one starts, and children lie within their parents.
        AssertSequence(span, "carapace.gateway.auth", "carapace.gateway.parse", "carapace.controller.admission", "carapace.controller.record",
            "carapace.controller.step", "carapace.gateway.respond");
        AssertSequence(span, "carapace.worker.schedule", "carapace.worker.lane");
        AssertSequence(span, "carapace.worker.invoke", "carapace.controller.finish");
        AssertSequence(span, "carapace.worker.enclave.open", "carapace.worker.enclave.run", "carapace.worker.enclave.seal", "carapace.worker.enclave.receipt");
        foreach (var a in trace.Where(a => a.Parent is not null && trace.Contains(a.Parent)))
        {
            Assert.True(a.StartTimeUtc >= a.Parent!.StartTimeUtc && End(a) <= End(a.Parent), $"{a.OperationName} lies outside {a.Parent.OperationName}");
        }

        // The enclave's stages are what it reported: each one part of its time inside the lane.
        Assert.True(span["carapace.worker.enclave"].Duration <= span["carapace.worker.lane"].Duration);
        Assert.Equal(true, span["carapace.worker.enclave.run"].GetTagItem("carapace.reported"));
        Assert.Equal(1, span["carapace.controller.step"].GetTagItem("carapace.step"));
        Assert.Equal(false, span["carapace.worker.invoke"].GetTagItem("carapace.cold"));
        Assert.Equal(true, span["carapace.gateway.invoke"].GetTagItem("carapace.confidential"));
        Assert.Equal(200, span["carapace.gateway.request"].GetTagItem("http.response.status_code"));

        // The metrics measured the same stages.
        var stages = _measurements.Select(m => m.Instrument + " " + m.Tags).ToList();
        Assert.Contains(stages, m => m.StartsWith("carapace.gateway.stage.duration carapace.stage=parse", StringComparison.Ordinal));
        Assert.Contains(stages, m => m.StartsWith("carapace.controller.stage.duration carapace.stage=record", StringComparison.Ordinal));
        Assert.Contains(stages, m => m.StartsWith("carapace.worker.stage.duration carapace.stage=enclave.seal", StringComparison.Ordinal));
    }

    [Fact]
    public async Task No_span_or_measurement_carries_the_payload_of_a_confidential_or_plaintext_invocation()
    {
        await _platform.DeployAsync("hello", "hello");
        await _platform.DeployAsync("plain", "hello", confidential: false);
        using var keys = await _platform.ChainKeysAsync("hello");
        var client = _platform.Client();

        using (Listen())
        {
            using (var confidential = await client.PostAsync("api/v1/namespaces/_/actions/hello?blocking=true", Sealed(keys, Marker)))
            {
                Assert.Equal(HttpStatusCode.OK, confidential.StatusCode);
            }

            using (var plaintext = await client.PostAsync("api/v1/namespaces/_/actions/plain?blocking=true&result=true",
                new StringContent($"{{\"text\":\"{Marker}\"}}", Encoding.UTF8, "application/json")))
            {
                Assert.Equal(HttpStatusCode.OK, plaintext.StatusCode);
                Assert.Contains(Marker.ToUpperInvariant(), await plaintext.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            }

            await SettleAsync();
        }

        // Both invocations were observed, cold starts included ...
        Assert.Equal(2, _spans.Count(a => a.OperationName == "carapace.gateway.invoke"));
        Assert.Contains(_spans, a => a.OperationName == "carapace.worker.specialize");
        // ... and no name, tag, event or baggage of any span, nor any measurement's tags, holds the marker.
        var seen = _spans.SelectMany(a => new[] { a.OperationName, a.DisplayName, a.StatusDescription ?? "" }
                .Concat(a.TagObjects.Select(t => $"{t.Key}={t.Value}"))
                .Concat(a.Events.Select(e => e.Name))
                .Concat(a.Baggage.Select(b => $"{b.Key}={b.Value}")))
            .Concat(_measurements.Select(m => m.Instrument + " " + m.Tags))
            .ToList();
        Assert.NotEmpty(seen);
        Assert.DoesNotContain(seen, s => s.Contains(Marker, StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public void The_exporter_options_are_checked_and_off_means_nothing_is_started()
    {
        Assert.Null(PlatformTelemetry.Start(TelemetryExporter.None));
        var notOtlp = Assert.Throws<ArgumentException>(() => PlatformTelemetry.Start(TelemetryExporter.Console, new Uri("http://127.0.0.1:4317")));
        Assert.Contains("only to the OTLP exporter", notOtlp.Message, StringComparison.Ordinal);
        var scheme = Assert.Throws<ArgumentException>(() => PlatformTelemetry.Start(TelemetryExporter.Otlp, new Uri("ftp://127.0.0.1:4317")));
        Assert.Contains("absolute http or https URL", scheme.Message, StringComparison.Ordinal);
        Assert.Equal(["Carapace.Gateway", "Carapace.Controller", "Carapace.Worker"], PlatformTelemetry.Sources);

        // The exporter records the components' spans while it runs — also under the unrecorded activity ASP.NET Core
        // starts for each request when logging is on (a parent-based sampler would drop them all).
        using (var console = PlatformTelemetry.Start(TelemetryExporter.Console))
        {
            Assert.NotNull(console);
            Assert.True(Gateway.GatewayTelemetry.Stages.Source.HasListeners());
            Assert.True(Worker.WorkerTelemetry.Stages.Source.HasListeners());
            using var request = new Activity("Microsoft.AspNetCore.Hosting.HttpRequestIn").Start();
            Assert.False(request.Recorded);
            using var stage = Controller.ControllerTelemetry.Stages.Start("record");
            Assert.True(stage.Activity is { Recorded: true }, "the stage's span is not recorded under an unrecorded parent");
            Assert.Equal(request.TraceId, stage.Activity!.TraceId);
        }

        Assert.False(Controller.ControllerTelemetry.Stages.Source.HasListeners());
    }

    /// <summary>Collects every span of the platform's sources and every measurement of its meters until disposed.</summary>
    private IDisposable Listen()
    {
        var spans = new ActivityListener
        {
            ShouldListenTo = s => PlatformTelemetry.Sources.Contains(s.Name),
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = _spans.Enqueue,
        };
        ActivitySource.AddActivityListener(spans);
        var meters = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (PlatformTelemetry.Sources.Contains(instrument.Meter.Name))
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            },
        };
        meters.SetMeasurementEventCallback<double>((instrument, _, tags, _) =>
            _measurements.Enqueue((instrument.Name, string.Join(',', tags.ToArray().Select(t => $"{t.Key}={t.Value}")))));
        meters.Start();
        return new Both(spans, meters);
    }

    /// <summary>The client has its answer a moment before the gateway ends its request span: wait (bounded) for every request span.</summary>
    private async Task SettleAsync()
    {
        for (var i = 0; i < 500 && _spans.Count(a => a.OperationName == "carapace.gateway.request") < _spans.Count(a => a.OperationName == "carapace.gateway.invoke"); i++)
        {
            await Task.Delay(10);
        }

        await Task.Delay(50);
    }

    private List<Activity> Invocation()
    {
        var invoke = _spans.Single(a => a.OperationName == "carapace.gateway.invoke");
        return [.. _spans.Where(a => a.TraceId == invoke.TraceId)];
    }

    private static DateTime End(Activity a) => a.StartTimeUtc + a.Duration;

    private static void AssertChild(Dictionary<string, Activity> span, string parent, params string[] children)
    {
        foreach (var child in children)
        {
            Assert.True(span[child].ParentSpanId == span[parent].SpanId, $"{child} is not a child of {parent}");
        }
    }

    private static void AssertSequence(Dictionary<string, Activity> span, params string[] stages)
    {
        for (var i = 1; i < stages.Length; i++)
        {
            Assert.True(End(span[stages[i - 1]]) <= span[stages[i]].StartTimeUtc, $"{stages[i - 1]} does not end before {stages[i]} starts");
        }
    }

    private static ByteArrayContent Sealed(ChainKeySet keys, string text)
    {
        var envelope = EnvelopeSealer.Seal(keys.Entry, Encoding.UTF8.GetBytes(text), new SealOptions { Function = keys.Chain, RequestId = RequestId.New() });
        var content = new ByteArrayContent(envelope);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/vnd.carapace.envelope");
        return content;
    }

    private sealed class Both(IDisposable first, IDisposable second) : IDisposable
    {
        public void Dispose()
        {
            first.Dispose();
            second.Dispose();
        }
    }
}
