using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Carapace.Cli.Infrastructure;
using Carapace.Kms.Client;
using Carapace.Kms.Client.Audit;
using Carapace.Kms.Server;

namespace Carapace.Cli.Kms;

/// <summary><c>carapace kms start</c> (the KMS over attested TLS, in the foreground) and <c>carapace kms audit</c>.</summary>
internal static class KmsCommands
{
    private static readonly TimeSpan s_shutdownGrace = TimeSpan.FromSeconds(10);

    public static Command Build()
    {
        var kms = new Command("kms", "The key management service: attested TLS, signed policies, secrets, key release to attested functions, audit log.");
        kms.Add(BuildStart());
        kms.Add(BuildAudit());
        return kms;
    }

    private static Command BuildStart()
    {
        var dataDir = KmsConnection.DataDirOption("Where the KMS keeps its database and master key (<DIR>/kms/). Default: $CARAPACE_HOME (~/.carapace).");
        var port = new Option<int>("--port") { Description = "The TCP port to listen on; 0 (the default) picks a free one.", HelpName = "N" };
        port.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() is < 0 or > 65535)
            {
                r.AddError("--port must be 0 to 65535");
            }
        });
        var address = new Option<string>("--address")
        {
            Description = "The IP address to listen on. Default 127.0.0.1: this machine only.",
            HelpName = "IP",
            DefaultValueFactory = _ => "127.0.0.1",
        };
        address.Validators.Add(r =>
        {
            if (!IPAddress.TryParse(r.GetValueOrDefault<string>(), out _))
            {
                r.AddError($"--address expects an IP address such as 127.0.0.1 or ::1, not '{r.GetValueOrDefault<string>()}'");
            }
        });
        var withParent = new Option<bool>("--with-parent")
        {
            Description = "Also stop when standard input closes: for a KMS started by another process (as 'carapace up' does) through a pipe, " +
                "so that it never outlives that process, even one that was killed.",
        };
        var tee = new TeeOptions();
        var command = new Command("start",
            "Run the KMS in the foreground until Ctrl-C or SIGTERM. It listens on HTTPS with an RA-TLS certificate over evidence of this " +
            "build's KMS measurement (with --tee sim, SIMULATION evidence signed by $CARAPACE_HOME/sim/quoting.key; with --tee tdx|snp, a " +
            "TDX quote or SEV-SNP report of this confidential VM binding it) and records its address in <DIR>/kms/endpoint.json for the other commands.")
        {
            dataDir, port, address, withParent,
        };
        tee.AddTo(command);
        Examples.Set(command,
            "carapace kms start",
            "carapace kms start --data-dir /srv/carapace --port 7443",
            "carapace kms start --tee tdx --tee-config /etc/carapace/tee.json",
            "carapace kms start --port 0 &   # then: carapace policy set acme.json --sign alice.key");
        command.SetKmsHandler(async (parse, cancel) =>
        {
            var directory = Path.GetFullPath(KmsConnection.DataDirectory(parse, dataDir));
            var settings = tee.Resolve(parse, directory);
            using var service = new ForegroundService(cancel, watchStandardInput: parse.GetValue(withParent));
            var loggers = service.Loggers;

            if (settings.IsSimulated)
            {
                Console.Error.WriteLine(KmsConnection.Banner);
            }

            var server = await KmsServer.StartAsync(new KmsServerOptions
            {
                DataDirectory = directory,
                Address = IPAddress.Parse(parse.GetRequiredValue(address)),
                Port = parse.GetValue(port),
                Tee = TeeOptions.Open(settings, KmsConnection.SimulationDirectory),
                Trust = settings.Trust,
                LoggerFactory = loggers,
            }, cancel).ConfigureAwait(false);
            var endpointFile = EndpointFile.PathIn(directory);
            await using (server.ConfigureAwait(false))
            {
                new EndpointFile(server.Endpoint, KmsIdentity.MeasurementHex, server.QuotingKey.ToArray(), Carapace.Attestation.Tee.TeeKinds.Name(settings.Kind), settings.Source)
                    .Write(endpointFile);
                Console.Out.WriteLine($"KMS listening on {server.Endpoint}");
                Console.Out.WriteLine($"measurement: {KmsIdentity.MeasurementHex}");
                Console.Out.WriteLine(settings.IsSimulated
                    ? $"quoting key: {Carapace.Attestation.Simulation.SimulatedQuotingService.ComputeKeyId(server.QuotingKey.Span)} (simulation, {KmsConnection.SimulationDirectory})"
                    : $"tee: {settings.Describe()}");
                Console.Out.WriteLine($"endpoint file: {endpointFile}");
                await Console.Out.FlushAsync(CancellationToken.None).ConfigureAwait(false);
                await service.WaitAsync().ConfigureAwait(false);

                EndpointFile.RemoveIfFor(endpointFile, server.Endpoint);
                using var grace = new CancellationTokenSource(s_shutdownGrace);
                await server.StopAsync(grace.Token).ConfigureAwait(false);
            }

            Console.Error.WriteLine("KMS stopped");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command BuildAudit()
    {
        var ns = new Argument<string>("NAMESPACE") { Description = "The namespace whose records to show." };
        var sign = new Option<string>("--sign")
        {
            Description = "The owner key to sign the request with (FILE, or ID=FILE to name the owner).",
            Required = true,
            HelpName = "KEY",
        };
        var verify = new Option<bool>("--verify")
        {
            Description = "Also have the KMS verify the whole hash-chained log (every hash, link and gap, and its anchor); exit 1 when it is damaged.",
        };
        var json = new Option<bool>("--json") { Description = "Print {\"records\": […], \"verification\": {…}} as JSON." };
        var connection = new KmsConnection();
        var command = new Command("audit", "Show a namespace's audit records (policy changes, secret uploads, key releases and denials), as one of its owners.")
        {
            ns, sign, verify, json,
        };
        connection.AddTo(command);
        Examples.Set(command, "carapace kms audit acme --sign alice.key", "carapace kms audit acme --sign alice.key --verify --json");
        command.SetKmsHandler(async (parse, cancel) =>
        {
            var name = parse.GetRequiredValue(ns);
            if (!Carapace.Kms.Client.Policy.PolicyNames.IsValid(name))
            {
                throw new CliFailure($"the namespace '{name}' {Carapace.Kms.Client.Policy.PolicyNames.Rule}", ExitCodes.Usage);
            }

            using var client = connection.Connect(parse);
            var (ownerId, owner) = await OwnerSession.ResolveAsync(client, name, parse.GetRequiredValue(sign), cancel).ConfigureAwait(false);
            IReadOnlyList<AuditRecord> records;
            AuditVerification? verification = null;
            using (owner)
            {
                records = await client.GetAuditAsync(name, owner, ownerId, cancel).ConfigureAwait(false);
                if (parse.GetValue(verify))
                {
                    verification = await client.VerifyAuditAsync(name, owner, ownerId, cancel).ConfigureAwait(false);
                }
            }

            if (parse.GetValue(json))
            {
                WriteJson(records, verification);
            }
            else
            {
                foreach (var r in records)
                {
                    Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{r.Seq,6} {r.Time.UtcDateTime:yyyy-MM-dd'T'HH:mm:ss'Z'} {r.Kind,-14} {r.Subject} {r.Details}"));
                }

                if (verification is not null)
                {
                    Console.Out.WriteLine(verification.Message);
                }
            }

            if (verification is { IsIntact: false })
            {
                throw new CliFailure($"{verification.Message} ({verification.Fault})");
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    private static void WriteJson(IReadOnlyList<AuditRecord> records, AuditVerification? verification)
    {
        using var stdout = Console.OpenStandardOutput();
        using (var w = new Utf8JsonWriter(stdout, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteStartArray("records");
            foreach (var r in records)
            {
                w.WriteStartObject();
                w.WriteNumber("seq", r.Seq);
                w.WriteString("time", r.Time);
                w.WriteString("kind", r.Kind.ToString());
                w.WriteString("namespace", r.Namespace);
                w.WriteString("subject", r.Subject);
                WriteDetails(w, r.Details);
                w.WriteString("hash", Convert.ToHexStringLower(r.Hash.Span));
                w.WriteEndObject();
            }

            w.WriteEndArray();
            if (verification is not null)
            {
                w.WriteStartObject("verification");
                w.WriteBoolean("intact", verification.IsIntact);
                w.WriteNumber("records", verification.Records);
                if (verification.Head is { } head)
                {
                    w.WriteNumber("headSeq", head.Seq);
                    w.WriteString("headHash", head.Hash);
                }

                if (verification.Fault is { } fault)
                {
                    w.WriteString("fault", fault.ToString());
                    w.WriteNumber("firstBadSeq", verification.FirstBadSeq ?? 0);
                }

                w.WriteString("message", verification.Message);
                w.WriteEndObject();
            }

            w.WriteEndObject();
        }

        stdout.WriteByte((byte)'\n');
    }

    /// <summary>The record's details as the JSON object they are; as a string when the KMS sent something else.</summary>
    private static void WriteDetails(Utf8JsonWriter w, string details)
    {
        try
        {
            using var parsed = JsonDocument.Parse(details);
            w.WritePropertyName("details");
            parsed.RootElement.WriteTo(w);
        }
        catch (JsonException)
        {
            w.WriteString("details", details);
        }
    }
}
