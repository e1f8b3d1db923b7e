using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Carapace.Kms.Client;

/// <summary>
/// The measurement of a Carapace KMS: SHA-256 over the bytes of its Carapace assemblies (<see cref="Files"/>, in that
/// order), each preceded by its length as an unsigned 64-bit big-endian integer. The KMS attests it as its own
/// measurement; a client or an enclave of the same Carapace build computes the same value from the same files and so
/// recognises a KMS running exactly its code; any other build of these assemblies is another measurement.
/// </summary>
/// <remarks>
/// In simulation this stands in for MRENCLAVE / MRTD of a KMS enclave. It covers the KMS's own code and every Carapace
/// assembly that code can load, not the program that hosts it (<c>carapace kms start</c>), the .NET runtime or the
/// third-party packages it loads; on real hardware the measurement comes from the platform and covers the whole
/// image. This is the one place the rule is written.
/// </remarks>
public static class KmsIdentity
{
    /// <summary>
    /// The assemblies measured, in order: the KMS server, its contracts, and the Carapace libraries they reference (the
    /// KMS's tests check that this is exactly the Carapace closure of <c>Carapace.Kms</c>'s references).
    /// </summary>
    public static readonly IReadOnlyList<string> Files =
        ["Carapace.Kms.dll", "Carapace.Kms.Client.dll", "Carapace.Attestation.dll", "Carapace.Envelope.dll", "Carapace.Protocol.dll"];

    private static readonly Lazy<byte[]> s_measurement = new(() => Compute(Directory));

    /// <summary>
    /// The folder of this build's KMS files: the application's base folder, which is where a KMS process (<c>carapace
    /// kms start</c>) loads its own assemblies from, and where the CLI, the platform and the tests find theirs. (Not the
    /// native enclave's folder: the enclave carries the KMS measurement it trusts in its own binary.)
    /// </summary>
    public static string Directory => AppContext.BaseDirectory;

    /// <summary>The 32-byte measurement of this build's KMS (<see cref="Compute"/> over <see cref="Directory"/>).</summary>
    /// <exception cref="FileNotFoundException">A KMS file is missing from <see cref="Directory"/>.</exception>
    public static ReadOnlyMemory<byte> Measurement => s_measurement.Value;

    /// <summary><see cref="Measurement"/> as lower-case hex.</summary>
    public static string MeasurementHex => Convert.ToHexStringLower(s_measurement.Value);

    /// <summary>Computes the measurement of the KMS whose files are in <paramref name="directory"/>.</summary>
    /// <exception cref="FileNotFoundException">A KMS file is missing; the message names it and the folder.</exception>
    public static byte[] Compute(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> length = stackalloc byte[8];
        foreach (var name in Files)
        {
            var path = Path.Combine(directory, name);
            if (!File.Exists(path))
            {
                throw new FileNotFoundException(
                    $"the KMS file {name} is missing from {directory}, so the KMS measurement of this build cannot be computed; run a complete Carapace build", path);
            }

            var bytes = File.ReadAllBytes(path);
            BinaryPrimitives.WriteUInt64BigEndian(length, (ulong)bytes.Length);
            hash.AppendData(length);
            hash.AppendData(bytes);
        }

        return hash.GetHashAndReset();
    }
}
