using System.CommandLine;
using System.Net;
using Carapace.Cli.Infrastructure;
using Carapace.Cli.Kms;

namespace Carapace.Cli.Cluster;

/// <summary>
/// <c>carapace node</c>: one cluster node in the foreground (an Orleans silo over the cluster's PostgreSQL database)
/// until Ctrl-C or SIGTERM. Building the command loads nothing of the cluster; only running it does, so the other
/// commands (and <c>carapace up</c>) never load Orleans.
/// </summary>
internal static class NodeCommand
{
    public const int DefaultSiloPort = 11111;

    public static Command Build()
    {
        var cluster = new Option<string>("--cluster")
        {
            Description = "The cluster's PostgreSQL database: a connection string (Host=...;Port=...;Database=...;Username=...) or a file holding one " +
                "(keeps the password out of 'ps'). Required.",
            HelpName = "CONNECTION",
            Required = true,
        };
        var roles = new Option<string>("--roles") { Description = "gateway, worker, or gateway,worker. Default: gateway,worker.", HelpName = "ROLES", DefaultValueFactory = _ => "gateway,worker" };
        var name = new Option<string?>("--name") { Description = "This node's name, as its certificate names it. Default: the host name.", HelpName = "NODE" };
        var certs = new Option<string?>("--certs")
        {
            Description = "The folder with this node's certificate (NODE.crt, NODE.key) and the cluster CA (ca.crt), from 'carapace cluster cert issue'. Default: <data dir>/certs.",
            HelpName = "DIR",
        };
        var port = new Option<int>("--port") { Description = "The gateway's HTTPS port (gateway nodes); 0 picks a free one. Default: 3233.", HelpName = "N", DefaultValueFactory = _ => 3233 };
        var siloPort = new Option<int>("--silo-port") { Description = $"The port other nodes reach this one on (mutual TLS). Default: {DefaultSiloPort}.", HelpName = "N", DefaultValueFactory = _ => DefaultSiloPort };
        var address = new Option<string>("--address") { Description = "The address this node listens on and gives the others. Default: 127.0.0.1.", HelpName = "IP", DefaultValueFactory = _ => "127.0.0.1" };
        var dataDir = KmsConnection.DataDirOption("This node's local state (module cache, gateway TLS CA, platform.json). Default: $CARAPACE_HOME (~/.carapace).");
        var kms = new Option<string?>("--kms")
        {
            Description = "The KMS: its data directory (as given to 'carapace kms start --data-dir') or its kms/endpoint.json. Default: the node's data directory.",
            HelpName = "PATH",
        };
        var gatewayCa = new Option<string?>("--gateway-ca")
        {
            Description = "The folder of the TLS CA that signs the gateways' HTTPS certificates (tls/ca.crt, tls/ca.key; created if missing). Give every gateway " +
                "node the same one, so clients pin one fingerprint. Default: the data directory.",
            HelpName = "DIR",
        };
        var ns = new Option<string?>("--namespace") { Description = "(Gateway nodes) Create this namespace if missing, give it a first KMS policy, and write platform.json for clients.", HelpName = "NAME" };
        var stemCells = new Option<int>("--stem-cells") { Description = "(Worker nodes) Prewarmed enclave processes. Default: 2.", HelpName = "N", DefaultValueFactory = _ => 2 };
        var verbose = new Option<bool>("--verbose") { Description = "Log enclave diagnostics and the cluster's informational messages (metadata only)." };
        var command = new Command("node", "Run one cluster node (gateway, worker, or both) in the foreground until Ctrl-C: an Orleans silo whose membership and state are in PostgreSQL.")
        {
            cluster, roles, name, certs, port, siloPort, address, dataDir, kms, gatewayCa, ns, stemCells, verbose,
        };
        Examples.Set(command,
            "carapace node --cluster /etc/carapace/cluster.conn --name node1 --certs node1-certs --kms /srv/kms --namespace guest",
            "carapace node --cluster 'Host=db;Database=carapace;Username=carapace' --roles worker --name node2 --silo-port 11112 --data-dir /srv/node2");
        command.SetHandler(async (parse, cancel) =>
        {
            if (!IPAddress.TryParse(parse.GetRequiredValue(address), out var ip))
            {
                throw new CliFailure($"--address expects an IP address such as 127.0.0.1, not '{parse.GetRequiredValue(address)}'", ExitCodes.Usage);
            }

            if (parse.GetValue(port) is < 0 or > 65535 || parse.GetValue(siloPort) is < 1 or > 65535)
            {
                throw new CliFailure("--port must be within 0..65535 and --silo-port within 1..65535", ExitCodes.Usage);
            }

            var directory = Path.GetFullPath(KmsConnection.DataDirectory(parse, dataDir));
            var request = new NodeRequest
            {
                Connection = NodeRequest.ReadConnection(parse.GetRequiredValue(cluster)),
                Roles = parse.GetRequiredValue(roles),
                Name = parse.GetValue(name) ?? Environment.MachineName.ToLowerInvariant(),
                CertificateDirectory = Path.GetFullPath(parse.GetValue(certs) ?? Path.Combine(directory, "certs")),
                Address = ip,
                Port = parse.GetValue(port),
                SiloPort = parse.GetValue(siloPort),
                DataDirectory = directory,
                Kms = parse.GetValue(kms) ?? directory,
                GatewayCa = Path.GetFullPath(parse.GetValue(gatewayCa) ?? directory),
                Namespace = parse.GetValue(ns),
                StemCells = parse.GetValue(stemCells),
                Verbose = parse.GetValue(verbose),
            };
            return await NodeRunner.RunAsync(request, cancel).ConfigureAwait(false);
        });
        return command;
    }
}

/// <summary>What <c>carapace node</c> was asked to run.</summary>
internal sealed record NodeRequest
{
    public required string Connection { get; init; }

    public required string Roles { get; init; }

    public required string Name { get; init; }

    public required string CertificateDirectory { get; init; }

    public required IPAddress Address { get; init; }

    public required int Port { get; init; }

    public required int SiloPort { get; init; }

    public required string DataDirectory { get; init; }

    public required string Kms { get; init; }

    public required string GatewayCa { get; init; }

    public string? Namespace { get; init; }

    public int StemCells { get; init; }

    public bool Verbose { get; init; }

    /// <summary>
    /// The connection string <paramref name="value"/> gives: the contents of the file it names, or the value itself when it
    /// reads as one (<c>key=value;…</c>). Never echoes the value, which may hold a password.
    /// </summary>
    public static string ReadConnection(string value)
    {
        if (File.Exists(value))
        {
            var text = File.ReadAllText(value).Trim();
            return text.Contains('=', StringComparison.Ordinal)
                ? text
                : throw new CliFailure($"--cluster: the file {value} does not hold a PostgreSQL connection string (Host=...;Database=...;Username=...)", ExitCodes.Usage);
        }

        return value.Contains('=', StringComparison.Ordinal)
            ? value
            : throw new CliFailure("--cluster expects a PostgreSQL connection string (Host=...;Database=...;Username=...) or the path of a file holding one; " +
                "no such file exists and the value is not a connection string", ExitCodes.Usage);
    }
}
