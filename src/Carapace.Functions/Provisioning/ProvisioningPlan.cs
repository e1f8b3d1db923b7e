using System.Security.Cryptography;
using Carapace.Envelope.Keys;
using Carapace.Protocol;

namespace Carapace.Functions.Provisioning;

/// <summary>
/// A provisioner's plan for one function: a fresh in-memory master key for one chain step (edge from → step carries
/// the input, step → step+1 the output, step → 0 the log to the client), the canonical manifest, the measurement the
/// provisioner expects (computed from its own copy of the runtime), an optional image key and secrets. It makes a
/// <see cref="ProvisioningSession"/> for each enclave that announces itself. Nothing here ever reaches the worker
/// except sealed. Dispose it to zero every key.
/// </summary>
public sealed class ProvisioningPlan : IDisposable
{
    /// <summary>The chain id of single-function runs.</summary>
    public const string DefaultChain = "run";

    private readonly MasterKey _master;
    private readonly byte[] _manifest;
    private readonly byte[] _moduleHash;
    private readonly byte[]? _imageKey;

    private readonly IReadOnlyDictionary<string, byte[]> _secrets;

    private ProvisioningPlan(MasterKey master, byte[] manifest, byte[] moduleHash, byte[] measurement, byte[]? imageKey, IReadOnlyDictionary<string, byte[]> secrets,
        string chainId)
    {
        _secrets = secrets;
        _master = master;
        _manifest = manifest;
        _moduleHash = moduleHash;
        _imageKey = imageKey;
        Measurement = measurement;
        Input = master.Derive(chainId, 0, 1);
        Output = master.Derive(chainId, 1, 2);
        Log = master.Derive(chainId, 1, 0);
    }

    /// <summary>Key of the input edge (the client seals with it).</summary>
    public EdgeKey Input { get; }

    /// <summary>Key of the output edge (the client opens with it).</summary>
    public EdgeKey Output { get; }

    /// <summary>Key of the log edge (the client opens the function's stderr with it).</summary>
    public EdgeKey Log { get; }

    /// <summary>The measurement an enclave must confirm.</summary>
    public byte[] Measurement { get; }

    /// <summary>The runtime identity the measurement was computed with.</summary>
    public byte[] RuntimeIdentityValue { get; private init; } = [];

    /// <summary>
    /// Plans a function. The measurement starts from <paramref name="runtimeIdentity"/> (default: the runtime identity in
    /// this build's reference values of the manifest's runtime, <see cref="ReferenceValues.Load(EnclaveRuntime, string?)"/>). The function is step 1 of the one-step chain
    /// <paramref name="chainId"/>.
    /// </summary>
    /// <exception cref="ReferenceValuesException">No runtime identity was given and the reference values are missing or malformed.</exception>
    public static ProvisioningPlan Create(
        ReadOnlySpan<byte> module, FunctionManifest manifest, byte[]? imageKey = null, IReadOnlyDictionary<string, byte[]>? secrets = null, byte[]? runtimeIdentity = null,
        string chainId = DefaultChain)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        var encoded = manifest.Encode();
        var moduleHash = SHA256.HashData(module);
        var runtime = runtimeIdentity ?? ReferenceValues.Load(EnclaveRuntime.For(manifest)).RuntimeIdentityValue;
        var measurement = Functions.Measurement.Compute(runtime, moduleHash, encoded);
        return new ProvisioningPlan(MasterKey.Generate(), encoded, moduleHash, measurement, imageKey, secrets ?? new Dictionary<string, byte[]>(), chainId)
        {
            RuntimeIdentityValue = runtime,
        };
    }

    /// <summary>Seals this plan's provisioning for the enclave that announced <paramref name="enclave"/>.</summary>
    public ProvisioningSession ProvisionFor(ReadyMessage enclave)
    {
        using var payload = new ProvisioningPayload
        {
            Manifest = _manifest,
            ModuleHash = _moduleHash,
            Input = EdgeGrant.From(Input),
            Output = EdgeGrant.From(Output),
            Log = EdgeGrant.From(Log),
            ImageKey = _imageKey?.ToArray(),
            Secrets = _secrets.ToDictionary(s => s.Key, s => s.Value.ToArray(), StringComparer.Ordinal),
        };
        return new ProvisioningSession(enclave, payload, Measurement);
    }

    /// <summary>Zeroes every key.</summary>
    public void Dispose()
    {
        Input.Dispose();
        Output.Dispose();
        Log.Dispose();
        _master.Dispose();
        if (_imageKey is not null)
        {
            CryptographicOperations.ZeroMemory(_imageKey);
        }
    }
}
