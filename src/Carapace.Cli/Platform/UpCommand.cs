using System.CommandLine;
using System.Net;
using Carapace.Attestation.Tee;
using Carapace.Cli.Infrastructure;
using Carapace.Cli.Kms;
using Carapace.Client.Profiles;
using Carapace.Envelope.Keys;
using Carapace.Gateway.Tls;
using Microsoft.Extensions.Logging;

namespace Carapace.Cli.Platform;

/// <summary>
/// <c>carapace up</c>: the embedded platform in the foreground — gateway, controller and worker in this process, the
/// KMS and the enclaves as child processes, state under the data directory — until Ctrl-C or SIGTERM.
/// </summary>
internal static class UpCommand
{
    /// <summary>OpenWhisk standalone's port.</summary>
    public const int DefaultPort = 3233;

    public const string DefaultNamespace = "guest";

    private static readonly TimeSpan ShutdownGrace = TimeSpan.FromSeconds(30);

    public static Command Build()
    {
        var dataDir = KmsConnection.DataDirOption("Where the platform keeps its state (databases, keys, TLS CA, platform.json). Default: $CARAPACE_HOME (~/.carapace).");
        var port = new Option<int>("--port") { Description = $"The gateway's HTTPS port; 0 picks a free one. Default: {DefaultPort}.", HelpName = "N", DefaultValueFactory = _ => DefaultPort };
        var address = new Option<string>("--address") { Description = "The address the gateway listens on. Default: 127.0.0.1.", HelpName = "IP", DefaultValueFactory = _ => "127.0.0.1" };
        var ns = new Option<string>("--namespace") { Description = $"The namespace to create and print credentials for. Default: {DefaultNamespace}.", HelpName = "NAME", DefaultValueFactory = _ => DefaultNamespace };
        var stemCells = new Option<int>("--stem-cells") { Description = "Prewarmed enclave processes kept ready for cold starts. Default: 2.", HelpName = "N", DefaultValueFactory = _ => 2 };
        var verbose = new Option<bool>("--verbose") { Description = "Log every request and enclave diagnostic line (metadata only)." };
        var telemetry = new Option<string>("--telemetry")
        {
            Description = "Export the spans and metrics of every invocation stage with OpenTelemetry: none, console (to standard output) or otlp " +
                "(to a collector; OTEL_EXPORTER_OTLP_* apply). Metadata only, never payloads or keys. Default: none.",
            HelpName = "EXPORTER",
            DefaultValueFactory = _ => "none",
        };
        telemetry.AcceptOnlyFromAmong("none", "console", "otlp");
        var otlpEndpoint = new Option<string?>("--otlp-endpoint")
        {
            Description = "With --telemetry otlp: the collector's OTLP/gRPC address. Default: $OTEL_EXPORTER_OTLP_ENDPOINT, else http://localhost:4317.",
            HelpName = "URL",
        };
        var tee = new TeeOptions();
        var command = new Command("up", "Run the embedded Carapace platform (gateway, controller, KMS, worker) in the foreground until Ctrl-C.")
        {
            dataDir, port, address, ns, stemCells, verbose, telemetry, otlpEndpoint,
        };
        tee.AddTo(command);
        Examples.Set(command,
            "carapace up",
            "carapace up --data-dir /tmp/carapace --port 0",
            "carapace up --port 8443 --stem-cells 4",
            "carapace up --telemetry otlp --otlp-endpoint http://127.0.0.1:4317   # spans and metrics to an OpenTelemetry collector",
            "carapace up --tee tdx --tee-config /etc/carapace/tee.json   # inside an Intel TDX confidential VM");
        command.SetHandler(async (parse, cancel) =>
        {
            var directory = Path.GetFullPath(KmsConnection.DataDirectory(parse, dataDir));
            if (!IPAddress.TryParse(parse.GetRequiredValue(address), out var ip))
            {
                throw new CliFailure($"--address expects an IP address such as 127.0.0.1, not '{parse.GetRequiredValue(address)}'", ExitCodes.Usage);
            }

            var portValue = parse.GetValue(port);
            if (portValue is < 0 or > 65535)
            {
                throw new CliFailure($"--port {portValue} is outside 0..65535", ExitCodes.Usage);
            }

            // The TEE is chosen once, before anything starts: an unusable one ends here with what to do.
            var settings = tee.Resolve(parse, directory);
            TeeOptions.Probe(settings);
            using var exporting = StartTelemetry(parse.GetRequiredValue(telemetry), parse.GetValue(otlpEndpoint));
            return await RunAsync(directory, ip, portValue, parse.GetRequiredValue(ns), parse.GetValue(stemCells), parse.GetValue(verbose), settings, cancel)
                .ConfigureAwait(false);
        });
        return command;
    }

    /// <summary>The OpenTelemetry export <c>--telemetry</c> asks for (null: none), or a usage error that says what was wrong.</summary>
    private static Carapace.Platform.PlatformTelemetry? StartTelemetry(string exporter, string? endpoint)
    {
        var kind = exporter switch
        {
            "console" => Carapace.Platform.TelemetryExporter.Console,
            "otlp" => Carapace.Platform.TelemetryExporter.Otlp,
            _ => Carapace.Platform.TelemetryExporter.None,
        };
        Uri? url = null;
        if (endpoint is not null && !Uri.TryCreate(endpoint, UriKind.Absolute, out url))
        {
            throw new CliFailure($"--otlp-endpoint expects an absolute URL such as http://127.0.0.1:4317, not '{endpoint}'", ExitCodes.Usage);
        }

        try
        {
            var started = Carapace.Platform.PlatformTelemetry.Start(kind, url);
            if (started is not null)
            {
                Console.Error.WriteLine($"telemetry: exporting the spans and metrics of {string.Join(", ", Carapace.Platform.PlatformTelemetry.Sources)} to {exporter}"
                    + (url is null ? "" : $" at {url}"));
            }

            return started;
        }
        catch (ArgumentException e)
        {
            throw new CliFailure($"--otlp-endpoint: {e.Message.Split(" (Parameter", 2)[0]}", ExitCodes.Usage);
        }
    }

    private static async Task<int> RunAsync(string directory, IPAddress address, int port, string ns, int stemCells, bool verbose, TeeSettings tee,
        CancellationToken cancel)
    {
        KeyFile.CreatePrivateDirectory(directory);
        using var service = new ForegroundService(cancel, verbose ? LogLevel.Debug : LogLevel.Information);
        await Console.Error.WriteLineAsync(tee.IsSimulated
            ? "WARNING: SIMULATION MODE — enclaves are plain processes and attestation is signed by a software key; the operator of this machine can read everything. Never use it in production."
            : $"TEE: {tee.Describe()} — this whole confidential VM image is trusted; the host and hypervisor outside it are not.")
            .ConfigureAwait(false);
        if (tee.Trust.HasCustomRoots)
        {
            await Console.Error.WriteLineAsync("WARNING: the TEE configuration replaces the vendors' root certificates (a test PKI); evidence it accepts proves nothing about real hardware.")
                .ConfigureAwait(false);
        }

        await using var platform = await EmbeddedPlatform.StartAsync(directory, address, port, ns, stemCells, service.Loggers, line =>
        {
            if (verbose)
            {
                Console.Error.WriteLine("kms: " + line);
            }
        }, service.Stopping, tee: tee).ConfigureAwait(false);
        var host = platform.Host;
        var auth = platform.Profile.Auth;
        var kms = platform.Kms.Health.Advertisement;

        var dataDirArgument = directory == Path.GetFullPath(CarapaceHome.Directory) ? "" : $" --data-dir {directory}";
        Console.Out.WriteLine($"Carapace is up: {host.Endpoint}");
        Console.Out.WriteLine($"  namespace   {ns}");
        Console.Out.WriteLine($"  auth        {auth}");
        Console.Out.WriteLine($"  TLS CA      {platform.Profile.CaFingerprint} ({PlatformCertificateAuthority.CertificatePathIn(directory)})");
        Console.Out.WriteLine($"  KMS         {kms.Url} (measurement {kms.Measurement[..16]}…, {(tee.IsSimulated ? "simulation" : TeeKinds.Name(tee.Kind))}; supervised: restarted if it dies)");
        Console.Out.WriteLine($"  TEE         {tee.Describe()}");
        Console.Out.WriteLine($"  profile     {PlatformProfile.PathIn(directory)}");
        if (host.AbandonedSteps > 0)
        {
            Console.Out.WriteLine($"  recovered   {host.AbandonedSteps} step(s) left running by the last run, recorded as failed");
        }

        Console.Out.WriteLine($"Try it: ./carapace deploy hello examples/out/hello.wasm{dataDirArgument} && echo 'hello, enclave' | ./carapace invoke hello{dataDirArgument}");
        Console.Out.WriteLine($"Health: ./carapace status{dataDirArgument}");
        Console.Out.WriteLine("Press Ctrl-C to stop.");
        await Console.Out.FlushAsync(CancellationToken.None).ConfigureAwait(false);

        await service.WaitAsync().ConfigureAwait(false);
        await Console.Error.WriteLineAsync("stopping: finishing running invocations …").ConfigureAwait(false);
        await platform.StopAsync(ShutdownGrace).ConfigureAwait(false);
        await Console.Error.WriteLineAsync("Carapace stopped; every activation is recorded.").ConfigureAwait(false);
        return ExitCodes.Ok;
    }
}
