using System.Reflection;
using System.Security.Cryptography;
using System.Text;

namespace Carapace.Functions;

/// <summary>
/// The identity of the enclave runtime: SHA-256 over the enclave's own assemblies (Carapace.Enclave.dll and the
/// Carapace assemblies it loads), the Wasmtime version and the engine settings. In simulation the enclave hashes
/// its files at start; hardware would measure the loaded image instead. <c>carapace measure</c> computes the same
/// value from the same files, so a measurement can be predicted before deployment.
/// </summary>
public static class RuntimeIdentity
{
    /// <summary>The assemblies whose bytes make up the runtime.</summary>
    public static readonly IReadOnlyList<string> Assemblies =
        ["Carapace.Enclave.dll", "Carapace.Envelope.dll", "Carapace.Protocol.dll", "Carapace.Attestation.dll", "Carapace.Kms.dll", "Wasmtime.Dotnet.dll"];

    /// <summary>Computes the identity of the runtime whose files are in <paramref name="directory"/>.</summary>
    /// <exception cref="FileNotFoundException">A runtime file is missing.</exception>
    public static byte[] Compute(string directory)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(Encoding.ASCII.GetBytes("carapace runtime v1\n"));
        foreach (var name in Assemblies)
        {
            var path = Path.Combine(directory, name);
            if (!File.Exists(path))
            {
                throw new FileNotFoundException($"enclave runtime file {name} is missing from {directory}", path);
            }

            using var file = File.OpenRead(path);
            sha.AppendData(Encoding.UTF8.GetBytes(name + "\n"));
            sha.AppendData(SHA256.HashData(file));
        }

        sha.AppendData(Encoding.UTF8.GetBytes("wasmtime " + WasmtimeVersion + "\n"));
        sha.AppendData(Encoding.UTF8.GetBytes(EngineSettings.Description + "\n"));
        return sha.GetHashAndReset();
    }

    /// <summary>The Wasmtime .NET binding's informational version.</summary>
    public static string WasmtimeVersion =>
        typeof(Wasmtime.Engine).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? typeof(Wasmtime.Engine).Assembly.GetName().Version?.ToString() ?? "unknown";
}
