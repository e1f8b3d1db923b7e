using Carapace.Controller;
using Carapace.Gateway;
using Carapace.Worker;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Carapace.Platform;

/// <summary>Where <see cref="PlatformTelemetry"/> sends the platform's spans and metrics.</summary>
public enum TelemetryExporter
{
    /// <summary>Nowhere (the default): the instruments exist, nothing samples or exports them.</summary>
    None,

    /// <summary>Printed to standard output, one block per span and per metric export.</summary>
    Console,

    /// <summary>To an OpenTelemetry collector over OTLP (gRPC by default; the standard <c>OTEL_EXPORTER_OTLP_*</c> variables apply).</summary>
    Otlp,
}

/// <summary>
/// Exports the spans and metrics of the gateway, controller and worker (<see cref="Sources"/>) with the OpenTelemetry
/// SDK, for an operator who asks for it (<c>carapace up --telemetry</c>). Every tag is metadata: stage names, step
/// numbers, status, activation ids, cold or warm — never a payload, key, secret or user parameter.
/// </summary>
public sealed class PlatformTelemetry : IDisposable
{
    /// <summary>The service name the exported resource carries.</summary>
    public const string ServiceName = "carapace-platform";

    private readonly TracerProvider _tracer;
    private readonly MeterProvider _meter;

    private PlatformTelemetry(TracerProvider tracer, MeterProvider meter)
    {
        _tracer = tracer;
        _meter = meter;
    }

    /// <summary>The activity sources and meters of the platform's components, one per component, in invocation order.</summary>
    public static IReadOnlyList<string> Sources { get; } = [GatewayTelemetry.Name, ControllerTelemetry.Name, WorkerTelemetry.Name];

    /// <summary>
    /// Starts exporting to <paramref name="exporter"/> (null for <see cref="TelemetryExporter.None"/>); an OTLP
    /// <paramref name="otlpEndpoint"/> overrides <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> (default <c>http://localhost:4317</c>).
    /// An unreachable collector costs only failed exports in the background; invocations never wait for it.
    /// </summary>
    /// <exception cref="ArgumentException">An endpoint was given for an exporter other than OTLP, or is not an absolute http(s) URL.</exception>
    public static PlatformTelemetry? Start(TelemetryExporter exporter, Uri? otlpEndpoint = null)
    {
        if (otlpEndpoint is not null)
        {
            if (exporter != TelemetryExporter.Otlp)
            {
                throw new ArgumentException("an OTLP endpoint applies only to the OTLP exporter", nameof(otlpEndpoint));
            }

            if (!otlpEndpoint.IsAbsoluteUri || otlpEndpoint.Scheme is not ("http" or "https"))
            {
                throw new ArgumentException($"the OTLP endpoint must be an absolute http or https URL such as http://localhost:4317, not '{otlpEndpoint}'", nameof(otlpEndpoint));
            }
        }

        if (exporter == TelemetryExporter.None)
        {
            return null;
        }

        var resource = ResourceBuilder.CreateDefault().AddService(ServiceName);
        // Every span of the components is kept, whatever their parent says: ASP.NET Core starts an unrecorded activity
        // for each request when logging is on, and the SDK's default (parent-based) sampler would drop every child of it.
        var traces = Sdk.CreateTracerProviderBuilder().SetResourceBuilder(resource).SetSampler(new AlwaysOnSampler()).AddSource([.. Sources]);
        var metrics = Sdk.CreateMeterProviderBuilder().SetResourceBuilder(resource).AddMeter([.. Sources]);
        if (exporter == TelemetryExporter.Console)
        {
            traces.AddConsoleExporter();
            metrics.AddConsoleExporter();
        }
        else
        {
            void Configure(OtlpExporterOptions o)
            {
                if (otlpEndpoint is not null)
                {
                    o.Endpoint = otlpEndpoint;
                }
            }

            traces.AddOtlpExporter(Configure);
            metrics.AddOtlpExporter(Configure);
        }

        return new PlatformTelemetry(traces.Build(), metrics.Build());
    }

    /// <summary>Flushes what is buffered and stops exporting.</summary>
    public void Dispose()
    {
        _tracer.Dispose();
        _meter.Dispose();
    }
}
