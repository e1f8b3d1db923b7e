using Carapace.Attestation.Tee;
using Carapace.Cli.Infrastructure;
using Carapace.Cli.Kms;
using Carapace.Cli.Platform;
using Carapace.Client.Profiles;
using Carapace.Cluster;
using Carapace.Cluster.Nodes;
using Carapace.Cluster.Security;
using Carapace.Gateway;
using Carapace.Gateway.Tls;
using Carapace.Kms.Client;
using Microsoft.Extensions.Logging;

namespace Carapace.Cli.Cluster;

/// <summary>Runs <c>carapace node</c>: loads what the node needs, joins the cluster, serves until asked to stop.</summary>
internal static class NodeRunner
{
    private static readonly TimeSpan ShutdownGrace = TimeSpan.FromSeconds(30);

    public static async Task<int> RunAsync(NodeRequest request, CancellationToken cancel)
    {
        NodeRoles roles;
        try
        {
            roles = NodeRoleNames.Parse(request.Roles);
        }
        catch (ArgumentException e)
        {
            throw new CliFailure("--roles: " + e.Message, ExitCodes.Usage);
        }

        if (!ClusterAuthority.IsValidNodeName(request.Name))
        {
            throw new CliFailure($"--name '{request.Name}' is not a valid node name: use 1-63 letters, digits, '-' or '.'", ExitCodes.Usage);
        }

        var (nodeCertificate, authority) = LoadCertificates(request);
        var endpoint = EndpointFile.Read(File.Exists(request.Kms) ? request.Kms : EndpointFile.PathIn(request.Kms));
        var tee = endpoint.Tee == "sim" ? TeeSettings.Simulation : LoadTee(endpoint);
        var kms = new KmsAdvertisement(endpoint.Url, endpoint.Measurement, endpoint.QuotingKey);
        Envelope.Keys.KeyFile.CreatePrivateDirectory(request.DataDirectory);
        using var service = new ForegroundService(cancel, request.Verbose ? LogLevel.Debug : LogLevel.Information);
        using var gatewayCa = roles.HasFlag(NodeRoles.Gateway) ? LoadGatewayCa(request.GatewayCa) : null;
        using var gatewayCertificate = gatewayCa?.IssueServerCertificate(request.Address.Equals(System.Net.IPAddress.Loopback) ? [] : [request.Address.ToString()]);
        ClusterNode node;
        try
        {
            node = await ClusterNode.StartAsync(new ClusterNodeOptions
            {
                ConnectionString = request.Connection,
                Name = request.Name,
                Roles = roles,
                DataDirectory = request.DataDirectory,
                Address = request.Address,
                Port = request.Port,
                SiloPort = request.SiloPort,
                NodeCertificate = nodeCertificate,
                ClusterAuthority = authority,
                GatewayCertificate = gatewayCertificate,
                Kms = kms,
                StemCells = request.StemCells,
                Tee = tee,
                LoggerFactory = service.Loggers,
            }, service.Stopping).ConfigureAwait(false);
        }
        catch (ArgumentException e)
        {
            throw new CliFailure(e.Message.Split(" (Parameter", 2)[0], ExitCodes.Usage);
        }
        catch (Controller.Storage.StoreUnavailableException e)
        {
            throw new CliFailure($"the cluster database cannot be reached: {e.Message}", ExitCodes.IoError);
        }
        catch (Controller.Postgres.SchemaVersionException e)
        {
            throw new CliFailure(e.Message, ExitCodes.IoError);
        }
        catch (IOException e)
        {
            throw new CliFailure(e.Message, ExitCodes.IoError);
        }

        await using (node.ConfigureAwait(false))
        {
            string? auth = null;
            if (request.Namespace is { } ns && node.Gateway is { } gateway)
            {
                auth = await BootstrapAsync(request, ns, gateway, gatewayCa!, endpoint, tee, service.Stopping).ConfigureAwait(false);
            }

            Console.Out.WriteLine($"Carapace node {request.Name} is up ({NodeRoleNames.Format(roles)}), pid {Environment.ProcessId}");
            Console.Out.WriteLine($"  cluster     {node.SiloAddress} (mutual TLS, CA {ClusterAuthority.Fingerprint(authority)[..16]}…)");
            if (node.Endpoint is { } url)
            {
                Console.Out.WriteLine($"  gateway     {url}");
                Console.Out.WriteLine($"  TLS CA      {gatewayCa!.Fingerprint} ({PlatformCertificateAuthority.CertificatePathIn(request.GatewayCa)})");
            }

            Console.Out.WriteLine($"  KMS         {kms.Url}");
            if (auth is not null)
            {
                Console.Out.WriteLine($"  namespace   {request.Namespace}");
                Console.Out.WriteLine($"  profile     {PlatformProfile.PathIn(request.DataDirectory)}");
            }

            Console.Out.WriteLine("Press Ctrl-C to stop.");
            await Console.Out.FlushAsync(CancellationToken.None).ConfigureAwait(false);
            await service.WaitAsync().ConfigureAwait(false);
            await Console.Error.WriteLineAsync($"stopping node {request.Name} …").ConfigureAwait(false);
            using var grace = new CancellationTokenSource(ShutdownGrace);
            await node.StopAsync(grace.Token).ConfigureAwait(false);
        }

        return ExitCodes.Ok;
    }

    private static (System.Security.Cryptography.X509Certificates.X509Certificate2 Node, System.Security.Cryptography.X509Certificates.X509Certificate2 Authority)
        LoadCertificates(NodeRequest request)
    {
        try
        {
            var node = ClusterAuthority.LoadNode(Path.Combine(request.CertificateDirectory, request.Name + ".crt"),
                Path.Combine(request.CertificateDirectory, request.Name + ".key"));
            var authority = ClusterAuthority.LoadCertificate(Path.Combine(request.CertificateDirectory, ClusterAuthority.CertificateFileName));
            using var trust = new NodeTrust(System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificate(authority.RawData));
            if (!trust.Accepts(node))
            {
                throw new CliFailure($"the certificate of '{request.Name}' in {request.CertificateDirectory} was not issued by the cluster CA beside it (or has expired); " +
                    "issue one with 'carapace cluster cert issue'", ExitCodes.Rejected);
            }

            return (node, authority);
        }
        catch (IOException e)
        {
            throw new CliFailure(e.Message, ExitCodes.IoError);
        }
    }

    private static PlatformCertificateAuthority LoadGatewayCa(string directory)
    {
        try
        {
            return PlatformCertificateAuthority.LoadOrCreate(directory);
        }
        catch (PlatformCertificateException e)
        {
            throw new CliFailure(e.Message, ExitCodes.IoError);
        }
    }

    private static TeeSettings LoadTee(EndpointFile endpoint)
    {
        try
        {
            return TeeSettings.Load(endpoint.TeeConfig ?? throw new CliFailure($"the KMS runs in {endpoint.Tee} but its endpoint file names no TEE configuration", ExitCodes.IoError));
        }
        catch (TeeConfigurationException e)
        {
            throw new CliFailure($"the KMS's TEE configuration cannot be used: {e.Message}", ExitCodes.IoError);
        }
    }

    /// <summary>
    /// As <c>carapace up</c> does for its namespace: this data directory's owner and client keys, the namespace's first
    /// KMS policy (if it has none), a credential (the one in platform.json while it still authenticates) and platform.json.
    /// </summary>
    private static async Task<string> BootstrapAsync(NodeRequest request, string ns, GatewayHost gateway, PlatformCertificateAuthority tls,
        EndpointFile kms, TeeSettings tee, CancellationToken cancellationToken)
    {
        using (var owner = EmbeddedPlatform.LoadOrCreateKey(Path.Combine(request.DataDirectory, "owner.key")))
        using (var client = EmbeddedPlatform.LoadOrCreateKey(Path.Combine(request.DataDirectory, "client.key")))
        using (var kmsClient = new KmsClient(kms.Url, kms.Trust()))
        {
            await EmbeddedPlatform.EnsurePolicyAsync(kmsClient, ns, owner, client, tee, cancellationToken).ConfigureAwait(false);
        }

        string? auth = null;
        if (File.Exists(PlatformProfile.PathIn(request.DataDirectory)))
        {
            try
            {
                var previous = PlatformProfile.Load(request.DataDirectory);
                var parts = previous.Auth.Split(':', 2);
                if (previous.Namespace == ns && parts.Length == 2 && gateway.Authenticates(parts[0], parts[1], ns))
                {
                    auth = previous.Auth;
                }
            }
            catch (PlatformProfileException)
            {
                // Replaced below.
            }
        }

        auth ??= gateway.CreateNamespace(ns).Auth;
        // Clients check the gateway against the TLS CA in the profile's folder.
        var caCopy = PlatformCertificateAuthority.CertificatePathIn(request.DataDirectory);
        if (Path.GetFullPath(caCopy) != Path.GetFullPath(PlatformCertificateAuthority.CertificatePathIn(request.GatewayCa)))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(caCopy)!);
            File.Copy(PlatformCertificateAuthority.CertificatePathIn(request.GatewayCa), caCopy, overwrite: true);
        }

        new PlatformProfile
        {
            Gateway = gateway.Endpoint,
            CaFingerprint = tls.Fingerprint,
            Namespace = ns,
            Auth = auth,
            Kms = new PlatformKms(kms.Url.AbsoluteUri, kms.Measurement, Convert.ToBase64String(kms.QuotingKey)),
            OwnerKey = "owner.key",
            OwnerId = "owner",
            ClientKey = "client.key",
            ClientId = "cli",
            TeeConfig = tee.Source,
        }.Save(request.DataDirectory);
        return auth;
    }
}
