using System.Buffers.Binary;
using System.Reflection;
using System.Security.Cryptography;

namespace Carapace.Kms;

/// <summary>
/// What the KMS attests as its own measurement: SHA-256 over the bytes of the loaded <c>Carapace.Kms.dll</c>,
/// <c>Carapace.Attestation.dll</c> and <c>Carapace.Envelope.dll</c>, each preceded by its length as an unsigned 64-bit
/// big-endian integer, in that order. A client from the same Carapace build computes the same value and so recognises
/// a KMS running exactly its code; any other build of these assemblies is another measurement.
/// </summary>
/// <remarks>
/// In simulation this stands in for MRENCLAVE / MRTD of a KMS enclave; on real hardware the measurement comes from the
/// platform and covers the whole KMS image, not only these files.
/// </remarks>
public static class KmsIdentity
{
    private static readonly Lazy<byte[]> s_measurement = new(Compute);

    /// <summary>The 32-byte measurement of the KMS code loaded in this process.</summary>
    /// <exception cref="InvalidOperationException">An assembly was not loaded from a file (single-file or in-memory loading).</exception>
    public static ReadOnlyMemory<byte> Measurement => s_measurement.Value;

    /// <summary><see cref="Measurement"/> as lower-case hex.</summary>
    public static string MeasurementHex => Convert.ToHexStringLower(s_measurement.Value);

    private static byte[] Compute()
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> length = stackalloc byte[8];
        foreach (var assembly in new[] { typeof(KmsIdentity).Assembly, typeof(Attestation.ReportData).Assembly, typeof(Envelope.Keys.EdgeKey).Assembly })
        {
            var bytes = File.ReadAllBytes(PathOf(assembly));
            BinaryPrimitives.WriteUInt64BigEndian(length, (ulong)bytes.Length);
            hash.AppendData(length);
            hash.AppendData(bytes);
        }

        return hash.GetHashAndReset();
    }

    private static string PathOf(Assembly assembly) =>
        assembly.Location is { Length: > 0 } path
            ? path
            : throw new InvalidOperationException(
                $"the KMS measurement needs {assembly.GetName().Name}.dll as a file, but it was loaded from memory (single-file publishing is not supported)");
}
