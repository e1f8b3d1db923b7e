using Carapace.Attestation.Tee;
using Carapace.Cluster.Grains;
using Carapace.Cluster.Nodes;
using Carapace.Controller.Activations;
using Carapace.Controller.Invocation;
using Carapace.Controller.Postgres;
using Carapace.Controller.Registry;
using Carapace.Controller.Scheduling;
using Carapace.Gateway;
using Carapace.Gateway.Auth;
using Carapace.Gateway.Invocations;
using Carapace.Worker.Enclaves;
using Carapace.Worker.Pools;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Carapace.Cluster;

/// <summary>
/// One cluster node: an Orleans silo (membership in the PostgreSQL database, mutual TLS with the other nodes) that,
/// as a gateway, serves the HTTPS API over the shared stores and places every step on a worker node through grains,
/// and, as a worker, runs the steps placed on it in its enclaves. The database's schema is migrated at start (safe
/// when several nodes start at once). Only sealed bytes, receipts and metadata cross between nodes.
/// </summary>
public sealed class ClusterNode : IAsyncDisposable
{
    /// <summary>Orleans' cluster and service id: one Carapace cluster per database.</summary>
    public const string ClusterId = "carapace";

    private readonly IHost _silo;
    private readonly PostgresStoreDatabase _database;
    private readonly ActionRegistry _registry;
    private readonly ActivationStore _activations;
    private readonly NamespaceCredentials? _credentials;
    private readonly StemCellPool? _cells;
    private readonly WorkerPools? _worker;
    private readonly PlaintextBridge? _plaintext;
    private readonly InvocationService? _invocations;
    private readonly GatewayHost? _gateway;
    private readonly ILogger _logger;
    private bool _stopped;

    private ClusterNode(ClusterNodeOptions options, IHost silo, PostgresStoreDatabase database, ActionRegistry registry, ActivationStore activations,
        NamespaceCredentials? credentials, StemCellPool? cells, WorkerPools? worker, PlaintextBridge? plaintext, InvocationService? invocations,
        GatewayHost? gateway, ILogger logger)
    {
        Options = options;
        _silo = silo;
        _database = database;
        _registry = registry;
        _activations = activations;
        _credentials = credentials;
        _cells = cells;
        _worker = worker;
        _plaintext = plaintext;
        _invocations = invocations;
        _gateway = gateway;
        _logger = logger;
        SiloAddress = silo.Services.GetRequiredService<ILocalSiloDetails>().SiloAddress.ToParsableString();
    }

    /// <summary>The options the node runs with.</summary>
    public ClusterNodeOptions Options { get; }

    /// <summary>This node's address in the cluster (its silo address; its node grain's key).</summary>
    public string SiloAddress { get; }

    /// <summary>The gateway (gateway nodes), to create namespaces and credentials; null on a worker-only node.</summary>
    public GatewayHost? Gateway => _gateway;

    /// <summary>The gateway's HTTPS address (gateway nodes).</summary>
    public Uri? Endpoint => _gateway?.Endpoint;

    /// <summary>Opens the database (migrating it), joins the cluster, and starts the node's roles.</summary>
    /// <exception cref="ArgumentException">The options are invalid; the message lists every problem.</exception>
    /// <exception cref="Controller.Storage.StoreUnavailableException">The database cannot be reached.</exception>
    public static async Task<ClusterNode> StartAsync(ClusterNodeOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = options.Validate();
        if (problems.Count > 0)
        {
            throw new ArgumentException("invalid node options:" + string.Concat(problems.Select(p => "\n  - " + p)), nameof(options));
        }

        var logger = options.LoggerFactory.CreateLogger("Carapace.Cluster");
        var data = Path.GetFullPath(options.DataDirectory);
        Directory.CreateDirectory(data);
        var disposables = new Stack<Func<ValueTask>>();
        try
        {
            var database = PostgresStoreDatabase.Open(options.ConnectionString);
            disposables.Push(() => { database.Dispose(); return ValueTask.CompletedTask; });
            var registry = new ActionRegistry(database);
            disposables.Push(() => { registry.Dispose(); return ValueTask.CompletedTask; });
            var activations = new ActivationStore(database);
            disposables.Push(() => { activations.Dispose(); return ValueTask.CompletedTask; });
            var context = new NodeContext { Name = options.Name, Roles = options.Roles };
            IGrainFactory? grains = null;
            IGrainFactory Grains() => grains ?? throw new InvalidOperationException("the node has not joined the cluster yet");

            StemCellPool? cells = null;
            WorkerPools? worker = null;
            if (options.Roles.HasFlag(NodeRoles.Worker))
            {
                var simulation = options.SimulationDirectory ?? Envelope.Keys.CarapaceHome.SimulationDirectory;
                Directory.CreateDirectory(simulation);
                var launch = new EnclaveLaunchOptions
                {
                    EnclavePath = options.EnclavePath ?? EnclaveLaunchOptions.DefaultEnclavePath,
                    PlatformKeyPath = Path.Combine(simulation, "platform.key"),
                    Tee = TeeKinds.Name(options.Tee.Kind),
                    TeeConfigPath = options.Tee.Source,
                    Diagnostics = (pid, line) => ClusterLog.Enclave(logger, pid, line),
                };
                launch.Validate();
                cells = new StemCellPool(launch, options.StemCells);
                disposables.Push(cells.DisposeAsync);
                worker = new WorkerPools(cells, registry, options, data, key => Grains().GetGrain<INodeGrain>(key));
                disposables.Push(worker.DisposeAsync);
                context.Worker = worker;
            }

            NamespaceCredentials? credentials = null;
            PlaintextBridge? plaintext = null;
            if (options.Roles.HasFlag(NodeRoles.Gateway))
            {
                credentials = new NamespaceCredentials(database);
                disposables.Push(() => { credentials.Dispose(); return ValueTask.CompletedTask; });
                plaintext = new PlaintextBridge(action => action.Exec.ModuleSha256 is { } sha && registry.GetModule(sha) is { } module
                    ? module
                    : throw new InvalidOperationException($"the module of {action.Name} is missing from the registry"));
                disposables.Push(() => { plaintext.Dispose(); return ValueTask.CompletedTask; });
                context.Edge = new EdgeProvisioning(plaintext, registry, TimeProvider.System);
            }

            var silo = ClusterSilo.Build(options, context);
            disposables.Push(async () => await StopSiloAsync(silo).ConfigureAwait(false));
            await silo.StartAsync(cancellationToken).ConfigureAwait(false);
            grains = silo.Services.GetRequiredService<IGrainFactory>();
            var self = silo.Services.GetRequiredService<ILocalSiloDetails>().SiloAddress.ToParsableString();

            InvocationService? invocations = null;
            GatewayHost? gateway = null;
            if (options.Roles.HasFlag(NodeRoles.Gateway))
            {
                var membership = silo.Services.GetRequiredService<IClusterMembershipService>();
                string NameOf(string key) =>
                    membership.CurrentSnapshot.Members.Values.FirstOrDefault(m => m.SiloAddress.ToParsableString() == key) is { } member
                        ? SiloNames.NameOf(member.Name)
                        : key;
                var steps = new ClusterStepRunner(grains, () => self, NameOf);
                invocations = new InvocationService(registry, activations, new AdmissionQueue(options.Admission), steps, plaintext);
                disposables.Push(invocations.DisposeAsync);
                gateway = await GatewayHost.StartAsync(new GatewayOptions
                {
                    DataDirectory = data,
                    Address = options.Address,
                    Port = options.Port,
                    Certificate = options.GatewayCertificate!,
                    Credentials = credentials!,
                    Database = database,
                    Invocations = invocations,
                    Plaintext = plaintext,
                    Kms = options.Kms,
                    LoggerFactory = options.LoggerFactory,
                }, cancellationToken).ConfigureAwait(false);
                context.Gateway = gateway.Endpoint;
            }

            ClusterLog.Started(logger, options.Name, NodeRoleNames.Format(options.Roles), self, gateway?.Endpoint);
            return new ClusterNode(options, silo, database, registry, activations, credentials, cells, worker, plaintext, invocations, gateway, logger);
        }
        catch
        {
            while (disposables.TryPop(out var dispose))
            {
                await dispose().ConfigureAwait(false);
            }

            throw;
        }
    }

    /// <summary>
    /// Leaves in order: the gateway stops taking requests and its running invocations finish (until
    /// <paramref name="cancellationToken"/>), the silo leaves the cluster (the others stop placing steps here), then
    /// the enclaves shut down and the stores close.
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (_stopped)
        {
            return;
        }

        _stopped = true;
        ClusterLog.Stopping(_logger, Options.Name);
        if (_gateway is not null)
        {
            try
            {
                await _gateway.StopAsync(cancellationToken).ConfigureAwait(false);
                await _invocations!.DrainAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // The grace period ended; what still runs is interrupted below.
            }

            await _gateway.DisposeAsync().ConfigureAwait(false);
            await _invocations!.DisposeAsync().ConfigureAwait(false);
        }

        await StopSiloAsync(_silo).ConfigureAwait(false);
        if (_worker is not null)
        {
            await _worker.DisposeAsync().ConfigureAwait(false);
        }

        if (_cells is not null)
        {
            await _cells.DisposeAsync().ConfigureAwait(false);
        }

        _plaintext?.Dispose();
        _credentials?.Dispose();
        _activations.Dispose();
        _registry.Dispose();
        _database.Dispose();
    }

    /// <summary>Stops with a 30 s grace period.</summary>
    public async ValueTask DisposeAsync()
    {
        using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await StopAsync(grace.Token).ConfigureAwait(false);
    }

    private static async Task StopSiloAsync(IHost silo)
    {
        using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        try
        {
            await silo.StopAsync(grace.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Orleans' shutdown ran past its grace: the others declare this node dead by probing.
        }

        silo.Dispose();
    }
}
