using System.Net;
using System.Security.Cryptography.X509Certificates;
using Carapace.Attestation.Tee;
using Carapace.Controller.Scheduling;
using Carapace.Gateway;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Carapace.Platform;

/// <summary>How a <see cref="PlatformHost"/> runs. Checked as a whole before anything starts.</summary>
public sealed class PlatformOptions
{
    /// <summary>Where state lives: <c>controller/</c> (SQLite), <c>gateway/</c> (credentials), <c>cache/</c> (compiled modules), <c>sim/</c>.</summary>
    public required string DataDirectory { get; init; }

    /// <summary>The gateway's address; loopback by default.</summary>
    public IPAddress Address { get; init; } = IPAddress.Loopback;

    /// <summary>The gateway's port; 0 picks a free one.</summary>
    public int Port { get; init; }

    /// <summary>The gateway's HTTPS certificate, with its private key.</summary>
    public required X509Certificate2 Certificate { get; init; }

    /// <summary>The KMS the enclaves of confidential actions attest to, as clients are told about it.</summary>
    public required KmsAdvertisement Kms { get; init; }

    /// <summary>
    /// The health of a supervised KMS (<c>carapace up</c> restarts its KMS child): when set, it replaces
    /// <see cref="Kms"/> as the source of the KMS's address (a restarted KMS may have moved), every specialisation asks it
    /// first (an outage then fails at once with a 503), and <c>/api/v1/carapace/info</c> reports it. Null: the KMS is
    /// always <see cref="Kms"/>, assumed up.
    /// </summary>
    public Kms.KmsHealth? KmsHealth { get; init; }

    /// <summary>Prewarmed stem-cell enclaves kept ready (default 2).</summary>
    public int StemCells { get; init; } = 2;

    /// <summary>
    /// Prewarmed JavaScript enclaves (<c>enclave/Carapace.Enclave.Js</c> beside <see cref="EnclavePath"/>), kept apart
    /// from the WASI ones: a JavaScript action is specialised only in one of these. Default 1; 0 starts them on demand.
    /// Without the JavaScript enclave file no pool is made and JavaScript actions cannot run.
    /// </summary>
    public int JavaScriptStemCells { get; init; } = 1;

    /// <summary>Most enclaves per action version (default: the number of processors, at least 2).</summary>
    public int MaxEnclavesPerAction { get; init; } = Math.Max(2, Environment.ProcessorCount);

    /// <summary>Invocations one enclave serves before it is recycled.</summary>
    public int MaxInvocationsPerEnclave { get; init; } = 1_000;

    /// <summary>Per-namespace concurrency and queue bounds (beyond them: 429).</summary>
    public AdmissionOptions Admission { get; init; } = new();

    /// <summary>
    /// How long finished activations are kept, with their sealed output and logs (default: 7 days, the newest 100,000,
    /// pruned every minute); <see cref="Controller.Activations.ActivationRetention.KeepAll"/> keeps them all.
    /// </summary>
    public Controller.Activations.ActivationRetention Retention { get; init; } = new();

    /// <summary>The largest invocation body (default 16 MiB).</summary>
    public long MaxInvocationBytes { get; init; } = 16L * 1024 * 1024;

    /// <summary>The native enclave executable; default: <c>enclave/Carapace.Enclave</c> beside the running application (<see cref="Worker.Enclaves.EnclaveLaunchOptions.DefaultEnclavePath"/>).</summary>
    public string? EnclavePath { get; init; }

    /// <summary>Where the platform logs (metadata only).</summary>
    public ILoggerFactory LoggerFactory { get; init; } = NullLoggerFactory.Instance;

    /// <summary>
    /// The TEE the enclaves run in and the configuration they read (<c>--tee</c>, <c>tee.json</c>): simulation by default;
    /// for tdx and snp the settings must come from a file (<see cref="TeeSettings.Source"/>), which every enclave is given.
    /// </summary>
    public TeeSettings Tee { get; init; } = TeeSettings.Simulation;

    /// <summary>The simulated platform's folder (platform key, quoting key): <c>&lt;data dir&gt;/sim</c>.</summary>
    public string SimulationDirectory => Path.Combine(DataDirectory, "sim");

    /// <summary>Every problem with these options, one sentence each; empty when they are valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(DataDirectory))
        {
            problems.Add("DataDirectory is empty; give the folder where the platform keeps its state.");
        }

        if (Certificate is null || !Certificate.HasPrivateKey)
        {
            problems.Add("Certificate is missing or has no private key; the gateway serves HTTPS only.");
        }

        if (Kms is null)
        {
            problems.Add("Kms is null; confidential actions need a KMS to attest to.");
        }

        if (JavaScriptStemCells is < 0 or > 64)
        {
            problems.Add($"JavaScriptStemCells {JavaScriptStemCells} is outside 0..64.");
        }

        if (StemCells is < 0 or > 64)
        {
            problems.Add($"StemCells {StemCells} is outside 0..64.");
        }

        if (MaxEnclavesPerAction < 1)
        {
            problems.Add($"MaxEnclavesPerAction {MaxEnclavesPerAction} is below 1.");
        }

        if (MaxInvocationsPerEnclave < 1)
        {
            problems.Add($"MaxInvocationsPerEnclave {MaxInvocationsPerEnclave} is below 1.");
        }

        if (Retention is null)
        {
            problems.Add("Retention is null; use ActivationRetention.KeepAll to keep every activation.");
        }
        else
        {
            problems.AddRange(Retention.Validate());
        }

        if (Tee is null)
        {
            problems.Add("Tee is null; use TeeSettings.Simulation for simulated enclaves.");
        }
        else if (!Tee.IsSimulated && Tee.Source is null)
        {
            problems.Add($"Tee is {TeeKinds.Name(Tee.Kind)} but names no configuration file; enclaves read theirs from TeeSettings.Load(path).");
        }

        return problems;
    }
}
