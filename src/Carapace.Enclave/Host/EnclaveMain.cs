using Carapace.Attestation.Tee;
using Carapace.Enclave.Runtime;
using Microsoft.Win32.SafeHandles;

namespace Carapace.Enclave.Host;

/// <summary>Parses the enclave's command line and runs its loop over standard input and output.</summary>
internal static class EnclaveMain
{
    /// <summary>The running host, for the parent watch to wipe (null until it is made, and after it is disposed).</summary>
    private static volatile EnclaveHost? s_host;

    /// <summary>Runs the enclave program of <paramref name="flavor"/> (WASI or JavaScript) with its command line.</summary>
    public static int Run(string[] args, EnclaveFlavor flavor)
    {
        StartTimings.Begin();
        // Before any other thread starts: the host's CA store is never read (see HostTrustStore).
        HostTrustStore.Detach();
        // The protocol owns standard output: anything else printed by accident goes to stderr. The channel reads and
        // writes file descriptors 0 and 1 directly (unbuffered, blocking), not through Console's streams, whose async
        // calls hop through the thread pool.
        using var fromHost = new FileStream(new SafeFileHandle(0, ownsHandle: false), FileAccess.Read, bufferSize: 0);
        using var toHost = new FileStream(new SafeFileHandle(1, ownsHandle: false), FileAccess.Write, bufferSize: 0);
        Console.SetOut(Console.Error);
        var platformKey = SimulatedPlatform.DefaultPath;
        string? lane = null;
        int? parent = null;
        string? tee = null;
        string? teeConfig = null;
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--platform-key" && i + 1 < args.Length)
            {
                platformKey = args[++i];
            }
            else if (args[i] == "--tee" && i + 1 < args.Length)
            {
                tee = args[++i];
            }
            else if (args[i] == "--tee-config" && i + 1 < args.Length)
            {
                teeConfig = args[++i];
            }
            else if (args[i] == "--parent" && i + 1 < args.Length && int.TryParse(args[i + 1], out var pid) && pid > 1)
            {
                parent = pid;
                i++;
            }
            else if (args[i] == "--lane" && i + 1 < args.Length)
            {
                lane = args[++i];
            }
            else
            {
                Console.Error.WriteLine($"carapace-enclave: unknown argument '{args[i]}' (this program is started by a Carapace worker)");
                return 2;
            }
        }

        // First of all, so that an enclave never outlives its worker, whatever phase it is in: starting, idle,
        // specialising or running a function. Without --parent (started by hand) the parent at start is the worker.
        var worker = parent ?? ParentWatch.ParentId;
        if (worker > 1)
        {
            ParentWatch.Start(worker, () => s_host?.Wipe());
        }

        // Work that needs nothing from the rest starts first, on threads of its own: the engine (loading Wasmtime) and
        // the KMS client warm-up overlap the TEE, the runtime identity and the keys.
        flavor.Prepare();
        var kmsWarmUp = Warmup.StartKmsClient();
        try
        {
            // The TEE is chosen once, here: an unknown name, a bad configuration or missing hardware ends the enclave
            // before it is ready, never with simulation in place of what was asked.
            var settings = ResolveTee(tee, teeConfig);
            var backend = settings.OpenBackend(Path.GetDirectoryName(Path.GetFullPath(platformKey)) ?? Envelope.Keys.CarapaceHome.SimulationDirectory);
            StartTimings.Mark("tee");
            using var host = new EnclaveHost(AppContext.BaseDirectory, platformKey, backend, settings, flavor, kmsWarmUp);
            s_host = host;
            try
            {
                return host.Run(fromHost, toHost, lane);
            }
            finally
            {
                s_host = null;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or Envelope.Keys.KeyFileException or TeeConfigurationException)
        {
            Console.Error.WriteLine("carapace-enclave: cannot start: " + e.Message);
            return 1;
        }
    }

    /// <summary><c>--tee</c> (default sim) and, for tdx and snp, the TEE configuration it needs (<c>--tee-config</c>), which must say the same.</summary>
    private static TeeSettings ResolveTee(string? tee, string? config)
    {
        var kind = tee is null ? TeeKind.Simulation : TeeKinds.Parse(tee);
        if (config is null)
        {
            return kind == TeeKind.Simulation
                ? TeeSettings.Simulation
                : throw new TeeConfigurationException([$"--tee {tee} needs --tee-config FILE (the worker passes the platform's TEE configuration)"]);
        }

        var settings = TeeSettings.Load(config);
        return settings.Kind == kind
            ? settings
            : throw new TeeConfigurationException([$"--tee {TeeKinds.Name(kind)}, but {config} says \"tee\": \"{TeeKinds.Name(settings.Kind)}\""]);
    }
}
