using System.Security.Cryptography;
using Carapace.Enclave.Functions;
using Carapace.Enclave.Session;
using Carapace.Envelope.Keys;
using Carapace.Protocol;

namespace Carapace.Cli.Functions;

/// <summary>
/// The client's secrets for one <c>carapace run</c>: a fresh in-memory master key for chain "run" (edge 0→1 carries
/// the input, 1→2 the output, 1→0 the log), the manifest and the measurement the client expects, and optional
/// image key and secrets. Nothing here is ever given to the worker except sealed.
/// </summary>
internal sealed class RunPlan : IDisposable
{
    public const string Chain = "run";

    private readonly MasterKey _master;
    private readonly byte[] _manifest;
    private readonly byte[] _moduleHash;
    private readonly byte[]? _imageKey;

    private RunPlan(MasterKey master, byte[] manifest, byte[] moduleHash, byte[] measurement, byte[]? imageKey)
    {
        _master = master;
        _manifest = manifest;
        _moduleHash = moduleHash;
        _imageKey = imageKey;
        Measurement = measurement;
        Input = master.Derive(Chain, 0, 1);
        Output = master.Derive(Chain, 1, 2);
        Log = master.Derive(Chain, 1, 0);
    }

    public EdgeKey Input { get; }

    public EdgeKey Output { get; }

    public EdgeKey Log { get; }

    public byte[] Measurement { get; }

    public static RunPlan Create(byte[] module, FunctionManifest manifest, byte[]? imageKey = null)
    {
        var encoded = manifest.Encode();
        var moduleHash = SHA256.HashData(module);
        var runtime = RuntimeIdentity.Compute(AppContext.BaseDirectory);
        var measurement = Enclave.Functions.Measurement.Compute(runtime, moduleHash, encoded);
        return new RunPlan(MasterKey.Generate(), encoded, moduleHash, measurement, imageKey);
    }

    public ClientProvisioning ProvisionFor(ReadyMessage enclave)
    {
        using var payload = new ProvisioningPayload
        {
            Manifest = _manifest,
            ModuleHash = _moduleHash,
            Input = EdgeGrant.From(Input),
            Output = EdgeGrant.From(Output),
            Log = EdgeGrant.From(Log),
            ImageKey = _imageKey?.ToArray(),
        };
        return new ClientProvisioning(enclave, payload, Measurement);
    }

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
