using System.Net.Security;
using Carapace.Cluster.Grains;
using Carapace.Cluster.Nodes;
using Carapace.Cluster.Security;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using Orleans.Connections.Security;

namespace Carapace.Cluster;

/// <summary>
/// The Orleans silo of a node: membership in the cluster's PostgreSQL database (ADO.NET clustering, the tables of
/// Carapace's migration), mutual TLS with certificates of the cluster CA on every connection between nodes, no client
/// gateway (only nodes talk to nodes), short failure detection, and the node's own grains.
/// </summary>
internal static class ClusterSilo
{
    /// <summary>The name nodes present to each other in TLS (certificates are checked against the CA, not names).</summary>
    public const string TlsName = "carapace-node";

    /// <summary>How long a grain call may take: longer than any action's time limit, so only a lost node ends one early.</summary>
    public static readonly TimeSpan ResponseTimeout = TimeSpan.FromMinutes(6);

    public static IHost Build(ClusterNodeOptions options, NodeContext context)
    {
        var trust = new NodeTrust(options.ClusterAuthority);
        return new HostBuilder()
            .UseOrleans(silo =>
            {
                silo.UseAdoNetClustering(o =>
                {
                    o.Invariant = "Npgsql";
                    o.ConnectionString = options.ConnectionString;
                });
                silo.Configure<ClusterOptions>(o =>
                {
                    o.ClusterId = ClusterNode.ClusterId;
                    o.ServiceId = ClusterNode.ClusterId;
                });
                silo.Configure<SiloOptions>(o => o.SiloName = SiloNames.Of(options.Name, options.Roles));
                silo.ConfigureEndpoints(options.Address, options.SiloPort, gatewayPort: 0);
                silo.Configure<ClusterMembershipOptions>(o =>
                {
                    // Measured on these machines: a killed node is declared dead in about a second, a hung one in about 8 s.
                    o.ProbeTimeout = options.ProbeTimeout;
                    o.NumMissedProbesLimit = options.MissedProbesLimit;
                    o.IAmAliveTablePublishTimeout = TimeSpan.FromSeconds(10);
                    o.TableRefreshTimeout = TimeSpan.FromSeconds(10);
                    o.DeathVoteExpirationTimeout = TimeSpan.FromSeconds(30);
                    o.MaxJoinAttemptTime = TimeSpan.FromSeconds(60);
                });
                silo.Configure<SiloMessagingOptions>(o =>
                {
                    o.ResponseTimeout = ResponseTimeout;
                });
                silo.UseTls(options.NodeCertificate, tls =>
                {
                    tls.RemoteCertificateMode = RemoteCertificateMode.RequireCertificate;
                    tls.ClientCertificateMode = RemoteCertificateMode.RequireCertificate;
                    // Any error but a name mismatch is final; the chain is then judged against the cluster CA alone.
                    tls.RemoteCertificateValidation = (certificate, _, errors) =>
                        (errors & ~(SslPolicyErrors.RemoteCertificateNameMismatch | SslPolicyErrors.RemoteCertificateChainErrors)) == SslPolicyErrors.None
                        && trust.Accepts(certificate);
                    tls.OnAuthenticateAsClient = (_, client) => client.TargetHost = TlsName;
                });
                silo.AddPlacementDirector<NodePlacement, NodePlacementDirector>();
                silo.Services.AddSingleton(context);
                silo.Services.AddSingleton(trust);
            })
            .ConfigureLogging(logging =>
            {
                logging.ClearProviders();
                logging.AddProvider(new ForwardingLoggerProvider(options.LoggerFactory));
                // Orleans narrates its internals at Information; a node's log keeps its warnings and errors.
                logging.AddFilter("Orleans", LogLevel.Warning);
                logging.AddFilter("Microsoft", LogLevel.Warning);
            })
            .Build();
    }

    /// <summary>Hands the silo's log lines to the node's logger factory.</summary>
    private sealed class ForwardingLoggerProvider(ILoggerFactory factory) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => factory.CreateLogger(categoryName);

        public void Dispose()
        {
        }
    }
}
