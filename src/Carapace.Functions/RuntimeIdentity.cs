using System.Security.Cryptography;
using System.Text;

namespace Carapace.Functions;

/// <summary>
/// The identity of the enclave runtime (format <see cref="Label"/>): SHA-256 over the label, then, for each file the
/// enclave process maps from disk for its code (<see cref="Files"/>: the native executable and libwasmtime.so), its name
/// and its SHA-256, then the engine settings (<see cref="EngineSettings.Description"/>) and the measurement of the KMS
/// the runtime trusts. In simulation the enclave hashes its own two files at start; hardware would measure the loaded
/// image instead. The build writes the same value into the reference values beside the native enclave
/// (<see cref="ReferenceValues"/>), which clients, <c>deploy</c>, <c>measure</c> and policy writers take it from.
/// </summary>
/// <remarks>
/// The KMS server is not part of the enclave program, but which KMS an enclave releases its keys from is part of what it
/// does: the native enclave carries the KMS measurement of its build in its own binary and accepts only a KMS attesting
/// that one. The measurement is hashed in as the last input as well, so that the identity states it in the clear: an
/// enclave built to trust another KMS is another runtime, and the policies that name this one refuse it.
/// </remarks>
public static class RuntimeIdentity
{
    /// <summary>The format label hashed first; a change of what is hashed or how changes the version.</summary>
    public const string Label = "carapace runtime v3";

    /// <summary>The name of the native enclave executable.</summary>
    public const string Executable = "Carapace.Enclave";

    /// <summary>The name of the Wasmtime library the executable loads.</summary>
    public const string WasmtimeLibrary = "libwasmtime.so";

    /// <summary>The files of the WASI runtime hashed, in order: every file the enclave process maps from disk for its own code.</summary>
    public static readonly IReadOnlyList<string> Files = [Executable, WasmtimeLibrary];

    /// <summary>Computes the identity of <paramref name="runtime"/> whose files are in <paramref name="directory"/>, trusting the KMS measuring <paramref name="kmsMeasurement"/>.</summary>
    /// <exception cref="FileNotFoundException">A runtime file is missing.</exception>
    public static byte[] Compute(EnclaveRuntime runtime, string directory, ReadOnlySpan<byte> kmsMeasurement)
    {
        ArgumentNullException.ThrowIfNull(runtime);
        ArgumentNullException.ThrowIfNull(directory);
        return FromFileHashes(runtime, HashFiles(runtime, [.. runtime.Files.Select(f => Path.Combine(directory, f))]), kmsMeasurement, runtime.EngineSettingsDescription);
    }

    /// <summary>
    /// Computes the identity of the native runtime whose files are in <paramref name="directory"/> and that trusts the
    /// KMS measuring <paramref name="kmsMeasurement"/>.
    /// </summary>
    /// <exception cref="FileNotFoundException">A runtime file is missing.</exception>
    public static byte[] Compute(string directory, ReadOnlySpan<byte> kmsMeasurement)
    {
        ArgumentNullException.ThrowIfNull(directory);
        return Compute([Path.Combine(directory, Executable), Path.Combine(directory, WasmtimeLibrary)], kmsMeasurement);
    }

    /// <summary>Computes the identity from the paths of the <see cref="Files"/>, in that order.</summary>
    /// <exception cref="FileNotFoundException">A runtime file is missing.</exception>
    public static byte[] Compute(IReadOnlyList<string> paths, ReadOnlySpan<byte> kmsMeasurement) =>
        FromFileHashes(HashFiles(paths), kmsMeasurement);

    /// <summary>The SHA-256 of each of <paramref name="paths"/> (the <see cref="Files"/>, in order), hashed in parallel.</summary>
    /// <exception cref="FileNotFoundException">A runtime file is missing; the message names it.</exception>
    public static byte[][] HashFiles(IReadOnlyList<string> paths) => HashFiles(EnclaveRuntime.Wasi, paths);

    /// <summary>The SHA-256 of each of <paramref name="paths"/> (the files of <paramref name="runtime"/>, in order), hashed in parallel.</summary>
    /// <exception cref="FileNotFoundException">A runtime file is missing; the message names it.</exception>
    public static byte[][] HashFiles(EnclaveRuntime runtime, IReadOnlyList<string> paths)
    {
        ArgumentNullException.ThrowIfNull(runtime);
        ArgumentNullException.ThrowIfNull(paths);
        if (paths.Count != runtime.Files.Count)
        {
            throw new ArgumentException($"the runtime identity hashes {runtime.Files.Count} files ({string.Join(", ", runtime.Files)})", nameof(paths));
        }

        foreach (var path in paths)
        {
            if (!File.Exists(path))
            {
                throw new FileNotFoundException($"the enclave runtime file {path} is missing", path);
            }
        }

        // Two files of a few MiB to tens of MiB: one on another thread, the largest here.
        var hashes = new byte[paths.Count][];
        if (paths.Count == 1)
        {
            hashes[0] = HashFile(paths[0]);
            return hashes;
        }

        var others = Task.Run(() => hashes[0] = HashFile(paths[0]));
        for (var i = 1; i < paths.Count; i++)
        {
            hashes[i] = HashFile(paths[i]);
        }

        others.GetAwaiter().GetResult();
        return hashes;
    }

    /// <summary>Computes the identity from the SHA-256 of each of the <see cref="Files"/>, in that order, with this build's engine settings.</summary>
    public static byte[] FromFileHashes(IReadOnlyList<byte[]> fileHashes, ReadOnlySpan<byte> kmsMeasurement) =>
        FromFileHashes(fileHashes, kmsMeasurement, EngineSettings.Description);

    /// <summary>Computes the identity from the SHA-256 of each of the <see cref="Files"/> and the given engine settings.</summary>
    public static byte[] FromFileHashes(IReadOnlyList<byte[]> fileHashes, ReadOnlySpan<byte> kmsMeasurement, string engineSettings) =>
        FromFileHashes(EnclaveRuntime.Wasi, fileHashes, kmsMeasurement, engineSettings);

    /// <summary>
    /// Computes the identity of <paramref name="runtime"/> from the SHA-256 of each of its files and the given engine
    /// settings. The file names are hashed with their contents, so the runtimes' identities never coincide.
    /// </summary>
    public static byte[] FromFileHashes(EnclaveRuntime runtime, IReadOnlyList<byte[]> fileHashes, ReadOnlySpan<byte> kmsMeasurement, string engineSettings)
    {
        ArgumentNullException.ThrowIfNull(runtime);
        ArgumentNullException.ThrowIfNull(engineSettings);
        ArgumentNullException.ThrowIfNull(fileHashes);
        var files = runtime.Files;
        if (fileHashes.Count != files.Count || fileHashes.Any(h => h is not { Length: 32 }))
        {
            throw new ArgumentException($"the runtime identity needs the SHA-256 of each of {string.Join(", ", files)}", nameof(fileHashes));
        }

        if (kmsMeasurement.Length != 32)
        {
            throw new ArgumentException("the KMS measurement is a SHA-256 value (32 bytes)", nameof(kmsMeasurement));
        }

        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(Encoding.ASCII.GetBytes(Label + "\n"));
        for (var i = 0; i < files.Count; i++)
        {
            sha.AppendData(Encoding.ASCII.GetBytes(files[i] + "\n"));
            sha.AppendData(fileHashes[i]);
        }

        sha.AppendData(Encoding.UTF8.GetBytes("engine " + engineSettings + "\n"));
        sha.AppendData(Encoding.ASCII.GetBytes("kms " + Convert.ToHexStringLower(kmsMeasurement) + "\n"));
        return sha.GetHashAndReset();
    }

    /// <summary>The SHA-256 of one file.</summary>
    public static byte[] HashFile(string path)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0, FileOptions.SequentialScan);
        return SHA256.HashData(file);
    }
}
