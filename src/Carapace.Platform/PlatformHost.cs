using Carapace.Attestation.Tee;
using Carapace.Controller.Activations;
using Carapace.Controller.Invocation;
using Carapace.Controller.Registry;
using Carapace.Controller.Scheduling;
using Carapace.Gateway;
using Carapace.Gateway.Actions;
using Carapace.Gateway.Auth;
using Carapace.Gateway.Invocations;
using Carapace.Protocol;
using Carapace.Worker.Cache;
using Carapace.Worker.Enclaves;
using Carapace.Worker.Pools;
using Microsoft.Extensions.Logging;

namespace Carapace.Platform;

/// <summary>
/// The embedded platform in one host process: the gateway (HTTPS, OpenWhisk API), the controller (registry,
/// activation records, admission, scheduling, chain routing) and a worker (stem cells and per-action enclave pools);
/// enclaves run as child processes and attest to the KMS at <see cref="PlatformOptions.Kms"/>. Confidential actions
/// get their keys from the KMS only; this process moves their envelopes without being able to open them.
/// </summary>
public sealed class PlatformHost : IAsyncDisposable
{
    private readonly ActionRegistry _registry;
    private readonly ActivationStore _activations;
    private readonly NamespaceCredentials _credentials;
    private readonly StemCellPool _cells;
    private readonly ActionPools _pools;
    private readonly PlaintextBridge _plaintext;
    private readonly InvocationService _invocations;
    private readonly GatewayHost _gateway;
    private readonly ILogger _logger;
    private bool _disposed;

    private PlatformHost(ActionRegistry registry, ActivationStore activations, NamespaceCredentials credentials, StemCellPool cells,
        ActionPools pools, PlaintextBridge plaintext, InvocationService invocations, GatewayHost gateway, ILogger logger, int abandoned)
    {
        _registry = registry;
        _activations = activations;
        _credentials = credentials;
        _cells = cells;
        _pools = pools;
        _plaintext = plaintext;
        _invocations = invocations;
        _gateway = gateway;
        _logger = logger;
        AbandonedSteps = abandoned;
    }

    /// <summary>The gateway's base address.</summary>
    public Uri Endpoint => _gateway.Endpoint;

    /// <summary>The gateway (to create namespaces and their credentials).</summary>
    public GatewayHost Gateway => _gateway;

    /// <summary>The stem-cell pool (for statistics).</summary>
    public StemCellPool StemCells => _cells;

    /// <summary>The JavaScript stem-cell pool (null when the JavaScript enclave is not installed).</summary>
    public StemCellPool? JavaScriptStemCells { get; private init; }

    /// <summary>The worker's enclave pools (tests feed enclaves directly through them, as a malicious controller could).</summary>
    internal ActionPools Pools => _pools;

    /// <summary>The controller's activation records and step claims.</summary>
    internal ActivationStore Activations => _activations;

    /// <summary>The controller's action registry.</summary>
    internal ActionRegistry Registry => _registry;

    /// <summary>Steps a previous run left claimed and unfinished, recorded as failures at this start.</summary>
    public int AbandonedSteps { get; }

    /// <summary>Opens the state in the data directory, starts the stem cells and the gateway.</summary>
    /// <exception cref="ArgumentException">The options are invalid; the message lists every problem.</exception>
    /// <exception cref="IOException">The gateway cannot listen.</exception>
    public static async Task<PlatformHost> StartAsync(PlatformOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = options.Validate();
        if (problems.Count > 0)
        {
            throw new ArgumentException("invalid platform options:" + string.Concat(problems.Select(p => "\n  - " + p)), nameof(options));
        }

        var logger = options.LoggerFactory.CreateLogger("Carapace.Platform");
        var data = Path.GetFullPath(options.DataDirectory);
        var database = GatewayHost.ControllerDatabasePath(data);
        var disposables = new Stack<Func<ValueTask>>();
        try
        {
            var registry = new ActionRegistry(database);
            disposables.Push(() => { registry.Dispose(); return ValueTask.CompletedTask; });
            var activations = new ActivationStore(database);
            disposables.Push(() => { activations.Dispose(); return ValueTask.CompletedTask; });

            // Nothing of a previous run can still be running: its claimed steps become recorded failures, and so does
            // every activation it accepted but did not finish (queued non-blocking invocations, sequences between steps).
            var abandoned = activations.FailAbandonedSteps("the platform stopped while this step was running");
            var unfinished = activations.FailAbandonedActivations("the platform stopped before this activation finished");
            activations.StartRetention(options.Retention, count => PlatformLog.Pruned(logger, count), e => PlatformLog.PruneFailed(logger, e.GetType().Name, e.Message));
            var credentials = new NamespaceCredentials(NamespaceCredentials.PathIn(data));
            disposables.Push(() => { credentials.Dispose(); return ValueTask.CompletedTask; });

            Directory.CreateDirectory(options.SimulationDirectory);
            var launch = new EnclaveLaunchOptions
            {
                EnclavePath = options.EnclavePath ?? EnclaveLaunchOptions.DefaultEnclavePath,
                PlatformKeyPath = Path.Combine(options.SimulationDirectory, "platform.key"),
                Tee = TeeKinds.Name(options.Tee.Kind),
                TeeConfigPath = options.Tee.Source,
                Diagnostics = (pid, line) => PlatformLog.Enclave(logger, pid, line),
            };
            launch.Validate();
            var cells = new StemCellPool(launch, options.StemCells);
            disposables.Push(cells.DisposeAsync);

            // JavaScript actions run in the JavaScript enclave beside the WASI one, from cells of their own.
            var javaScriptLaunch = launch with { EnclavePath = EnclaveLaunchOptions.JavaScriptEnclaveBeside(launch.EnclavePath) };
            StemCellPool? javaScriptCells = null;
            if (File.Exists(javaScriptLaunch.EnclavePath))
            {
                javaScriptCells = new StemCellPool(javaScriptLaunch, options.JavaScriptStemCells);
                disposables.Push(javaScriptCells.DisposeAsync);
            }

            byte[] ModuleOf(ActionRecord action) => action.Exec.ModuleSha256 is { } sha && registry.GetModule(sha) is { } module
                ? module
                : throw new InvalidOperationException($"the module of {action.Name} is missing from the registry");

            var plaintext = new PlaintextBridge(ModuleOf);
            disposables.Push(() => { plaintext.Dispose(); return ValueTask.CompletedTask; });
            var cache = new ModuleCacheStore(Path.Combine(data, "cache", "modules"));
            var images = new ImageFiles(ImageFiles.DirectoryIn(data));
            string? ImageOf(ActionRecord action) => action.Exec.Image is { } image ? images.PathOf(image, registry.GetImage) : null;
            var pools = new ActionPools(cells, action => Define(action, ModuleOf(action), ImageOf(action), options.Kms.Url, options.KmsHealth,
                PlaintextProvisioning(plaintext, action), options.MaxEnclavesPerAction, options.MaxInvocationsPerEnclave), cache, javaScriptCells);
            disposables.Push(pools.DisposeAsync);
            var invocations = new InvocationService(registry, activations, new AdmissionQueue(options.Admission), pools, plaintext);
            disposables.Push(invocations.DisposeAsync);

            var gateway = await GatewayHost.StartAsync(new GatewayOptions
            {
                DataDirectory = data,
                Address = options.Address,
                Port = options.Port,
                Certificate = options.Certificate,
                Credentials = credentials,
                MaxInvocationBytes = options.MaxInvocationBytes,
                Invocations = invocations,
                Plaintext = plaintext,
                Kms = options.Kms,
                Health = () => new PlatformHealth(options.KmsHealth?.Report, new StemCellHealth(cells.Size, cells.ReadyCount, cells.StartFailures)),
                LoggerFactory = options.LoggerFactory,
            }, cancellationToken).ConfigureAwait(false);
            PlatformLog.Started(logger, gateway.Endpoint, options.StemCells, abandoned, unfinished);
            return new PlatformHost(registry, activations, credentials, cells, pools, plaintext, invocations, gateway, logger, abandoned) { JavaScriptStemCells = javaScriptCells };
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
    /// Stops in order: the gateway stops taking requests, running invocations finish and are recorded (until
    /// <paramref name="cancellationToken"/>; what is still running then is recorded as failed at the next start),
    /// then enclaves are shut down (they zero their memory and exit) and the stores closed.
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        PlatformLog.Stopping(_logger, _invocations.RunningCount);
        try
        {
            await _gateway.StopAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The grace period ended; the invocations below are drained as far as possible.
        }

        try
        {
            await _invocations.DrainAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            PlatformLog.DrainTimedOut(_logger, _invocations.RunningCount);
        }

        await _gateway.DisposeAsync().ConfigureAwait(false);
        await _pools.DisposeAsync().ConfigureAwait(false);
        await _cells.DisposeAsync().ConfigureAwait(false);
        if (JavaScriptStemCells is { } javaScript)
        {
            await javaScript.DisposeAsync().ConfigureAwait(false);
        }

        _plaintext.Dispose();
        _credentials.Dispose();
        _activations.Dispose();
        _registry.Dispose();
    }

    /// <summary>Stops with a 30 s grace period.</summary>
    public async ValueTask DisposeAsync()
    {
        using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await StopAsync(grace.Token).ConfigureAwait(false);
    }

    /// <summary>How a plaintext action's enclaves in this process are provisioned: by the bridge's keys, directly (null for a confidential action).</summary>
    private static Func<ReadyMessage, CancellationToken, Task<IProvisioningSession>>? PlaintextProvisioning(PlaintextBridge plaintext, ActionRecord action)
    {
        if (action.Confidential)
        {
            return null;
        }

        var provision = plaintext.ProvisionerFor(action);
        return (ready, _) => Task.FromResult(provision(ready));
    }

    /// <summary>
    /// The worker's definition of <paramref name="action"/>: a plaintext action's enclaves provisioned by
    /// <paramref name="plaintext"/> (the trusted edge's keys), a confidential action's by attestation to the KMS.
    /// </summary>
    internal static FunctionDefinition Define(ActionRecord action, byte[] module, string? imagePath, Uri kms, IKmsLocator? locator,
        Func<ReadyMessage, CancellationToken, Task<IProvisioningSession>>? plaintext, int maxInstances, int maxInvocationsPerEnclave)
    {
        if (!action.Confidential)
        {
            return new FunctionDefinition
            {
                Module = module,
                Provision = plaintext ?? throw new ArgumentNullException(nameof(plaintext), "a plaintext action needs the trusted edge's provisioning"),
                MaxInstances = maxInstances,
                MaxInvocationsPerEnclave = maxInvocationsPerEnclave,
            };
        }

        // A confidential action's enclaves prove this exact manifest and module to the KMS, which releases the chain
        // keys only if the namespace's owners put that measurement in the policy. The image's root is in the manifest;
        // its key is a KMS secret, and the enclave verifies every block it reads from the host file.
        return new FunctionDefinition
        {
            Module = module,
            ImagePath = imagePath,
            Kms = new KmsFunction(kms, action.Name.Namespace, action.Name.Name, ActionFunctions.ManifestOf(action).Encode())
            {
                Locator = locator,
            },
            MaxInstances = maxInstances,
            MaxInvocationsPerEnclave = maxInvocationsPerEnclave,
        };
    }
}
