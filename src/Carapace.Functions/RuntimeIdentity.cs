using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using Carapace.Kms.Client;

namespace Carapace.Functions;

/// <summary>
/// The identity of the enclave runtime: SHA-256 over exactly the assemblies the enclave program consists of
/// (<see cref="Assemblies"/>: Carapace.Enclave.dll, the Carapace libraries it loads and the Wasmtime binding), the
/// Wasmtime version, the engine settings and the measurement of the KMS the runtime trusts. In simulation the enclave
/// hashes its files at start; hardware would measure the loaded image instead. <c>carapace measure</c> computes the same
/// value from the same files, so a measurement can be predicted before deployment.
/// </summary>
/// <remarks>
/// The KMS server is not part of the enclave program (the enclave never loads Carapace.Kms.dll), but which KMS an
/// enclave releases its keys from is part of what it does: it accepts only a KMS attesting <see cref="KmsIdentity"/>'s
/// measurement of the same build, computed from the KMS files beside the runtime. That measurement is hashed in as the
/// last input, so an enclave made to trust another KMS is another runtime, and the policies that name this one refuse it.
/// </remarks>
public static class RuntimeIdentity
{
    /// <summary>
    /// The assemblies whose bytes make up the runtime, in hashing order: the enclave program and the Carapace closure of
    /// its references, then the Wasmtime binding (the enclave's tests check that this is exactly that closure).
    /// </summary>
    public static readonly IReadOnlyList<string> Assemblies =
    [
        "Carapace.Enclave.dll", "Carapace.Functions.dll", "Carapace.Kms.Client.dll", "Carapace.Attestation.dll", "Carapace.Envelope.dll",
        "Carapace.Protocol.dll", "Wasmtime.Dotnet.dll",
    ];

    /// <summary>Computes the identity of the runtime whose files (and the files of the KMS it trusts) are in <paramref name="directory"/>.</summary>
    /// <exception cref="FileNotFoundException">A runtime or KMS file is missing.</exception>
    public static byte[] Compute(string directory) => Compute(directory, KmsIdentity.Compute(directory));

    /// <summary>Computes the identity of the runtime whose files are in <paramref name="directory"/> and that trusts the KMS measuring <paramref name="kmsMeasurement"/>.</summary>
    /// <exception cref="FileNotFoundException">A runtime file is missing.</exception>
    public static byte[] Compute(string directory, ReadOnlySpan<byte> kmsMeasurement)
    {
        ArgumentNullException.ThrowIfNull(directory);
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(Encoding.ASCII.GetBytes("carapace runtime v2\n"));
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
        sha.AppendData(Encoding.ASCII.GetBytes("kms " + Convert.ToHexStringLower(kmsMeasurement) + "\n"));
        return sha.GetHashAndReset();
    }

    /// <summary>The Wasmtime .NET binding's informational version.</summary>
    public static string WasmtimeVersion =>
        typeof(Wasmtime.Engine).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? typeof(Wasmtime.Engine).Assembly.GetName().Version?.ToString() ?? "unknown";
}
