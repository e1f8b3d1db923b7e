using Carapace.Functions;
using Carapace.Kms.Client;

namespace Carapace.Enclave.Host;

/// <summary>
/// What this enclave process measures about itself: the files it maps from disk for its code and the KMS measurement it
/// trusts. The native enclave (the only one the platform runs) hashes its own executable and, for WASI, the
/// libwasmtime.so beside it, and trusts the KMS measurement built into it (<see cref="TrustedKms"/>). The JIT build of the same program exists
/// for benchmark comparisons only: it hashes its entry assembly in place of the executable and computes the KMS
/// measurement from the files beside it, so its identity matches no reference value and no KMS policy accepts it.
/// </summary>
internal static class RuntimeFiles
{
    /// <summary>
    /// Whether this process is the native enclave: the Carapace build compiles the trusted KMS measurement into the
    /// native publish, and only into it (the project refuses a RID-specific build without one). (Not
    /// RuntimeFeature.IsDynamicCodeSupported: PublishAot makes that false in the JIT build's configuration too.)
    /// </summary>
    public static bool IsNative => TrustedKms.MeasurementHex is not null;

    /// <summary>The KMS measurement this enclave trusts: built in, or for the JIT build computed from the KMS files beside it.</summary>
    public static byte[] KmsMeasurement(string directory) =>
        TrustedKms.MeasurementHex is { } hex ? Convert.FromHexString(hex) : KmsIdentity.Compute(directory);

    /// <summary>
    /// The runtime identity of this process (see <see cref="RuntimeIdentity"/>); the file hashes come from
    /// <paramref name="hashCache"/> when it holds them for these file versions (<see cref="RuntimeHashCache"/>).
    /// </summary>
    public static byte[] Identity(EnclaveFlavor flavor, string directory, byte[] kmsMeasurement, string hashCache)
    {
        var runtime = flavor.Runtime;
        IReadOnlyList<string> files = IsNative
            ? [Environment.ProcessPath ?? Path.Combine(directory, runtime.Executable), .. runtime.Files.Skip(1).Select(f => Path.Combine(directory, f))]
            : flavor.JitFiles(directory);
        return RuntimeIdentity.FromFileHashes(runtime, RuntimeHashCache.HashFiles(runtime, files, hashCache), kmsMeasurement, runtime.EngineSettingsDescription);
    }
}
