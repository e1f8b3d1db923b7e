using System.Security.Cryptography;
using System.Text;
using Carapace.Envelope.Keys;

namespace Carapace.Enclave.Runtime;

/// <summary>
/// SIMULATION ONLY: the stand-in for a CPU's sealing key (SGX EGETKEY, SEV VMPCK…). It is a random 32-byte secret
/// in a 0600 file that the enclave creates on first use; every enclave on this machine derives its sealing keys from
/// it and its runtime identity. Real hardware keeps this key inside the CPU; here the host's own user can read the
/// file, which is one of the reasons simulation mode is insecure and says so.
/// </summary>
internal sealed class SimulatedPlatform : IDisposable
{
    private const string Prefix = "carapace-sim-platform-v1:";
    private readonly byte[] _secret;

    private SimulatedPlatform(byte[] secret) => _secret = secret;

    /// <summary>The default file: <c>$CARAPACE_HOME/sim/platform.key</c>, or <c>~/.carapace/sim/platform.key</c>.</summary>
    public static string DefaultPath => Path.Combine(CarapaceHome.SimulationDirectory, "platform.key");

    /// <summary>Loads the platform secret from <paramref name="path"/>, creating it (mode 0600) if it does not exist.</summary>
    /// <exception cref="KeyFileException">The file cannot be created or read, is accessible by other users, or is damaged.</exception>
    public static SimulatedPlatform LoadOrCreate(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        if (!File.Exists(path))
        {
            var fresh = RandomNumberGenerator.GetBytes(KeyFile.SecretSize);
            try
            {
                KeyFile.WriteSecret(path, Prefix, fresh);
            }
            catch (KeyFileException) when (File.Exists(path))
            {
                // Another enclave won the race to create it: use its secret.
            }
            finally
            {
                CryptographicOperations.ZeroMemory(fresh);
            }
        }

        return new SimulatedPlatform(KeyFile.ReadSecret(path, Prefix, "simulated platform key"));
    }

    /// <summary>A sealing key for <paramref name="purpose"/>, bound to the runtime identity (like SGX's MRENCLAVE policy).</summary>
    public byte[] DeriveSealingKey(string purpose, ReadOnlySpan<byte> runtimeIdentity)
    {
        var label = Encoding.ASCII.GetBytes("carapace sealing v1 " + purpose);
        var info = new byte[label.Length + runtimeIdentity.Length];
        label.CopyTo(info, 0);
        runtimeIdentity.CopyTo(info.AsSpan(label.Length));
        return HKDF.DeriveKey(HashAlgorithmName.SHA256, _secret, 32, salt: [], info);
    }

    public void Dispose() => CryptographicOperations.ZeroMemory(_secret);
}
